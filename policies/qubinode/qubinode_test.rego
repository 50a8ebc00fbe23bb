package mcp.packs.qubinode_test

import rego.v1

settings := {"clients": {
	"ops-key": {"categories": ["dags", "vms", "logs"]},
	"viewer-key": {"categories": ["dags", "logs"], "read_only": true},
	"admin-key": {"categories": ["*"]},
}}

call(client, name) := {
	"phase": "request",
	"method": "tools/call",
	"client": {"id": client, "name": client, "auth": "api_key", "roles": [], "claims": {}},
	"backend": {"name": "qubinode", "transport": "stdio"},
	"tool": {"name": name, "backend_name": name},
	"arguments": {},
}

test_category_enabled_per_client if {
	data.mcp.authz.allow with input as call("ops-key", "create_vm") with data.warden.qubinode as settings
	data.mcp.authz.allow with input as call("viewer-key", "list_dags") with data.warden.qubinode as settings
	data.mcp.authz.allow with input as call("admin-key", "delete_vm") with data.warden.qubinode as settings
}

test_category_disabled_denied_with_reason if {
	reasons := data.mcp.authz.deny with input as call("viewer-key", "list_vms") with data.warden.qubinode as settings
	reasons == {"Client 'viewer-key' is not allowed VM operations (category 'vms' is not enabled for it)"}
}

test_unknown_client_denied if {
	not data.mcp.authz.allow with input as call("stranger", "list_dags") with data.warden.qubinode as settings
	count(data.mcp.authz.deny) == 1 with input as call("stranger", "list_dags") with data.warden.qubinode as settings
}

test_read_only_client_keeps_listing_and_logs if {
	data.mcp.authz.allow with input as call("viewer-key", "get_dag_runs") with data.warden.qubinode as settings
	data.mcp.authz.allow with input as call("viewer-key", "get_task_logs") with data.warden.qubinode as settings
	reasons := data.mcp.authz.deny with input as call("viewer-key", "trigger_dag") with data.warden.qubinode as settings
	reasons == {"Operation 'trigger_dag' is not allowed in read-only mode"}
}

test_global_read_only_switch if {
	ro := object.union(settings, {"read_only": true})
	not data.mcp.authz.allow with input as call("ops-key", "create_vm") with data.warden.qubinode as ro
	not data.mcp.authz.allow with input as call("ops-key", "delete_vm") with data.warden.qubinode as ro
	data.mcp.authz.allow with input as call("ops-key", "list_vms") with data.warden.qubinode as ro
}

test_unknown_tool_denied if {
	reasons := data.mcp.authz.deny with input as call("admin-key", "reboot_host") with data.warden.qubinode as settings
	"Tool 'reboot_host' is not part of the Qubinode Navigator tool set: denied" in reasons
}

test_list_phase_hides_disabled_categories if {
	item := object.union(call("viewer-key", "create_vm"), {"phase": "list", "method": "tools/list"})
	not data.mcp.authz.allow with input as item with data.warden.qubinode as settings
}

# A read_only setting spelled otherwise than true (yes, "true", 1) is on, not silently off.
test_read_only_setting_fails_closed if {
	some v in ["yes", "true", 1, null]
	"Operation 'delete_vm' is not allowed in read-only mode" in data.mcp.authz.deny with input as call("ops-key", "delete_vm")
		with data.warden.qubinode as object.union(settings, {"read_only": v})
	"Operation 'create_vm' is not allowed in read-only mode" in data.mcp.authz.deny with input as call("ops-key", "create_vm")
		with data.warden.qubinode as {"clients": {"ops-key": {"categories": ["vms"], "read_only": v}}}
	not data.mcp.authz.allow with input as call("ops-key", "create_vm")
		with data.warden.qubinode as {"clients": {"ops-key": {"categories": ["vms"], "read_only": v}}}
}

test_read_only_false_allows_writes if {
	data.mcp.authz.allow with input as call("ops-key", "create_vm") with data.warden.qubinode as object.union(settings, {"read_only": false})
}

# A client with every category ("*") gets every tool, not every request: resources/read and methods
# the pack does not know stay denied for it as for everyone (open_methods).
test_star_client_gets_tools_not_other_requests if {
	read := {
		"phase": "request", "method": "resources/read", "direction": "client_to_server",
		"client": {"id": "admin-key", "name": "admin-key", "auth": "api_key", "roles": [], "claims": {}},
		"backend": {"name": "qubinode", "transport": "stdio"},
		"resource": {"uri": "file:///etc/qubinode/vault.yml", "backend_uri": "file:///etc/qubinode/vault.yml"},
		"params": {"uri": "file:///etc/qubinode/vault.yml"},
	}
	not data.mcp.authz.allow with input as read with data.warden.qubinode as settings
	not data.mcp.authz.allow with input as object.union(read, {"method": "vendor/exec"}) with data.warden.qubinode as settings
	data.mcp.authz.allow with input as object.union(read, {"method": "tools/list"}) with data.warden.qubinode as settings
	data.mcp.authz.allow with input as call("admin-key", "trigger_dag") with data.warden.qubinode as settings
}
