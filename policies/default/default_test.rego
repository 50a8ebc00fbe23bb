# The default pack is the read-only pack (pack.json includes it). Run with both folders:
#   mcp-warden policy test policies/read-only policies/default
package mcp.packs.default_test

import rego.v1

test_default_is_read_only if {
	call := {
		"phase": "request", "method": "tools/call",
		"client": {"id": "local", "roles": []},
		"tool": {"name": "write_file", "backend_name": "write_file", "annotations": {}},
	}
	not data.mcp.authz.allow with input as call
	data.mcp.authz.allow with input as object.union(call, {"tool": {"name": "read_file", "backend_name": "read_file"}})
}
