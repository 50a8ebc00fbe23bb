# Plugs the orchestrator pack into the decision package.
package mcp.authz

import rego.v1

allow if data.mcp.packs.orchestrator.allow

deny contains reason if some reason in data.mcp.packs.orchestrator.deny

allow if {
	not input.tool
	not data.mcp.packs.orchestrator.server_request
	input.method in data.mcp.packs.orchestrator.open_methods
}
