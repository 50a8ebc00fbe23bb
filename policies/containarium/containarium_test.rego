package mcp.packs.containarium_test

import rego.v1

call(roles, user, name, arguments) := {
	"phase": "request",
	"method": "tools/call",
	"client": {"id": user, "name": user, "auth": "jwt", "roles": roles, "claims": {"sub": "u-1", "username": user}},
	"backend": {"name": "containarium", "transport": "streamable-http"},
	"tool": {"name": name, "backend_name": name},
	"arguments": arguments,
}

test_admin_manages_containers if {
	names := ["create_container", "delete_container", "start_container", "stop_container"]
	allowed := {name |
		some name in names
		data.mcp.authz.allow with input as call(["admin"], "root", name, {"username": "bob"})
		count(data.mcp.authz.deny) == 0 with input as call(["admin"], "root", name, {"username": "bob"})
	}
	count(allowed) == 4
	data.mcp.authz.allow with input as call(["admin"], "root", "get_metrics", {"username": "bob"})
}

test_user_cannot_manage if {
	reasons := data.mcp.authz.deny with input as call(["user"], "alice", "delete_container", {"username": "alice"})
	reasons == {"Operation 'delete_container' requires the 'admin' role"}
}

test_user_reads_own_container if {
	data.mcp.authz.allow with input as call(["user"], "alice", "get_container", {"username": "alice"})
	data.mcp.authz.allow with input as call(["user"], "alice", "get_metrics", {"username": "alice"})
	data.mcp.authz.allow with input as call(["user"], "alice", "list_containers", {})
}

test_user_cannot_read_other_users if {
	reasons := data.mcp.authz.deny with input as call(["user"], "alice", "get_container", {"username": "bob"})
	reasons == {"Tool 'get_container' may only be used for your own username 'alice' (requested 'bob')"}
	not data.mcp.authz.allow with input as call(["user"], "alice", "get_metrics", {})
}

test_missing_claim_denied if {
	item := json.patch(call(["user"], "alice", "get_container", {"username": "alice"}), [{"op": "remove", "path": "/client/claims/username"}])
	reasons := data.mcp.authz.deny with input as item
	reasons == {"Tool 'get_container' needs the 'username' claim in the client's token to check the username"}
}

test_username_claim_configurable if {
	data.mcp.authz.allow with input as call(["user"], "alice", "get_container", {"username": "u-1"})
		with data.warden.containarium.username_claim as "sub"
}

test_no_role_denied if {
	not data.mcp.authz.allow with input as call([], "anon", "list_containers", {})
}

test_listing_shows_reads_for_users if {
	item := object.union(call(["user"], "alice", "get_container", null), {"phase": "list", "method": "tools/list"})
	data.mcp.authz.allow with input as item
	hidden := object.union(call(["user"], "alice", "create_container", null), {"phase": "list", "method": "tools/list"})
	not data.mcp.authz.allow with input as hidden
}

test_listing_hides_owned_tools_without_username_claim if {
	item := json.patch(object.union(call(["user"], "alice", "get_metrics", null), {"phase": "list", "method": "tools/list"}), [{"op": "remove", "path": "/client/claims/username"}])
	not data.mcp.authz.allow with input as item
	data.mcp.authz.allow with input as object.union(item, {"tool": {"name": "list_containers", "backend_name": "list_containers"}})
}

# Arguments that are not an object name no username: denied with the pack's reason, not by a
# builtin error (object.get of them in the message).
test_owned_tool_without_an_arguments_object_denied if {
	reasons := data.mcp.authz.deny with input as call(["user"], "alice", "get_metrics", null)
	reasons == {"Tool 'get_metrics' may only be used for your own username 'alice' (requested 'null')"}
	count(data.mcp.authz.deny) == 1 with input as call(["user"], "alice", "get_container", "alice")
}

# An empty username claim binds to nothing: the server reads get_metrics' username "" as every container.
test_empty_username_claim_binds_nothing if {
	reasons := data.mcp.authz.deny with input as call(["user"], "", "get_metrics", {"username": ""})
	reasons == {"Tool 'get_metrics' needs the 'username' claim in the client's token to check the username"}
	not data.mcp.authz.allow with input as call(["user"], "", "get_container", {"username": ""})
}
