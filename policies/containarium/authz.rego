# Plugs the containarium pack into the decision package.
package mcp.authz

import rego.v1

allow if data.mcp.packs.containarium.allow

deny contains reason if some reason in data.mcp.packs.containarium.deny

allow if {
	not input.tool
	not data.mcp.packs.containarium.server_request
	input.method in data.mcp.packs.containarium.open_methods
}
