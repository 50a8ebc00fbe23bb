package mcp.packs.allow_all_test

import rego.v1

test_everything_allowed if {
	data.mcp.authz.allow with input as {"phase": "request", "method": "tools/call", "tool": {"name": "delete_everything"}}
	data.mcp.authz.allow with input as {"phase": "list", "method": "tools/list", "tool": {"name": "write_file"}}
	not data.mcp.authz.deny with input as {"phase": "request", "method": "tools/call", "tool": {"name": "x"}}
}
