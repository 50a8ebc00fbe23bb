# Plugs the qubinode pack into the decision package.
package mcp.authz

import rego.v1

allow if data.mcp.packs.qubinode.allow

deny contains reason if some reason in data.mcp.packs.qubinode.deny

allow if {
	not input.tool
	not data.mcp.packs.qubinode.server_request
	input.method in data.mcp.packs.qubinode.open_methods
}
