# Plugs the nomad pack into the decision package.
package mcp.authz

import rego.v1

allow if data.mcp.packs.nomad.allow

deny contains reason if some reason in data.mcp.packs.nomad.deny

allow if {
	not input.tool
	not data.mcp.packs.nomad.server_request
	input.method in data.mcp.packs.nomad.open_methods
}
