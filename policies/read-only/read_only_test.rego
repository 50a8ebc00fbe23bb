package mcp.packs.read_only_test

import rego.v1

call(name, annotations) := {
	"phase": "request",
	"method": "tools/call",
	"client": {"id": "alice", "name": "alice", "auth": "api_key", "roles": [], "claims": {}},
	"session": {"id": "s1", "transport": "stdio"},
	"backend": {"name": "fs", "transport": "stdio"},
	"tool": {"name": name, "backend_name": name, "annotations": annotations},
	"arguments": {},
}

test_read_file_allowed if {
	data.mcp.authz.allow with input as call("read_file", {"readOnlyHint": true})
	count(data.mcp.authz.deny) == 0 with input as call("read_file", {"readOnlyHint": true})
}

test_read_verb_without_annotations_allowed if {
	data.mcp.authz.allow with input as call("list_directory", {})
	data.mcp.authz.allow with input as call("getStatus", {})
}

test_write_file_denied_with_reason if {
	reasons := data.mcp.authz.deny with input as call("write_file", {"readOnlyHint": false, "destructiveHint": true})
	reasons == {"Operation 'write' is not allowed in read-only mode (tool 'write_file')"}
	not data.mcp.authz.allow with input as call("write_file", {"readOnlyHint": false, "destructiveHint": true})
}

test_write_verb_wins_over_read_verb_in_name if {
	reasons := data.mcp.authz.deny with input as call("get-and-delete", {})
	"Operation 'delete' is not allowed in read-only mode (tool 'get-and-delete')" in reasons
}

test_more_write_verbs_win_over_a_read_verb if {
	every name in ["list_and_destroy", "get-and-purge", "read_and_drop", "listAndTerminate", "get_and_rm", "describe_and_uninstall", "get_and_execute", "search_and_send", "listUsersAndResetPasswords"] {
		not data.mcp.authz.allow with input as call(name, {})
		count(data.mcp.authz.deny) > 0 with input as call(name, {})
	}
	every name in ["get_deployment_status", "list_runs", "get_commit", "get_deleted_items", "list_installed_packages"] {
		data.mcp.authz.allow with input as call(name, {})
	}
}

# Words as often nouns as verbs (run, set, post, commit, ...) are the operation before every read
# verb of the name, and nouns after one.
test_ambiguous_verb_before_a_read_verb_is_a_write if {
	every name in ["set_status", "run_query", "github_set_status", "commitStatus", "merge_and_list", "post_search", "sync_info", "restore_from_read"] {
		not data.mcp.authz.allow with input as call(name, {})
		count(data.mcp.authz.deny) > 0 with input as call(name, {})
	}
	reasons := data.mcp.authz.deny with input as call("run_query", {})
	reasons == {"Operation 'run' is not allowed in read-only mode (tool 'run_query')"}
	every name in ["get_run", "list_commits", "query_runs", "getPostComments", "list_set_members", "describe_merge_request", "get_change_log", "search_tags"] {
		data.mcp.authz.allow with input as call(name, {})
	}
}

# A trusted readOnlyHint still decides (the annotation is the tool author's word).
test_ambiguous_verb_with_read_only_annotation_allowed if {
	data.mcp.authz.allow with input as call("run_query", {"readOnlyHint": true})
}

test_annotation_read_only_is_trusted if {
	data.mcp.authz.allow with input as call("trigger-long-running-operation", {"readOnlyHint": true})
}

test_annotation_can_be_distrusted if {
	reasons := data.mcp.authz.deny with input as call("trigger-long-running-operation", {"readOnlyHint": true})
		with data.warden.read_only.trust_annotations as false
	"Operation 'trigger' is not allowed in read-only mode (tool 'trigger-long-running-operation')" in reasons
}

test_unclassified_tool_denied if {
	reasons := data.mcp.authz.deny with input as call("toggle-simulated-logging", {"readOnlyHint": false})
	count(reasons) == 1
	not data.mcp.authz.allow with input as call("toggle-simulated-logging", {"readOnlyHint": false})
}

test_read_verb_with_writable_annotation_denied if {
	not data.mcp.authz.allow with input as call("get_and_reset", {"readOnlyHint": false})
}

test_protocol_methods_allowed if {
	data.mcp.authz.allow with input as {"phase": "request", "method": "tools/list"}
	data.mcp.authz.allow with input as {"phase": "request", "method": "initialize"}
	data.mcp.authz.allow with input as {"phase": "request", "method": "resources/read", "resource": {"uri": "file:///x"}}
}

test_unknown_method_denied if {
	not data.mcp.authz.allow with input as {"phase": "request", "method": "tools/call"}
	not data.mcp.authz.allow with input as {"phase": "request", "method": "x/unknown"}
}

test_list_phase_filters_the_same_way if {
	item := object.union(call("write_file", {"readOnlyHint": false}), {"phase": "list", "method": "tools/list"})
	not data.mcp.authz.allow with input as item
	shown := object.union(call("read_file", {"readOnlyHint": true}), {"phase": "list", "method": "tools/list"})
	data.mcp.authz.allow with input as shown
}

test_scoped_to_other_backend_does_not_judge if {
	count(data.mcp.authz.deny) == 0 with input as call("write_file", {})
		with data.warden.read_only.backends as ["other"]
}

test_deny_tools_refuses_a_read_whatever_its_annotations if {
	reasons := data.mcp.authz.deny with input as call("get-env", {"readOnlyHint": true})
		with data.warden.read_only.deny_tools as ["get-env"]
	reasons == {"Tool 'get-env' is denied by this deployment (read_only.deny_tools)"}
	not data.mcp.authz.allow with input as call("get-env", {"readOnlyHint": true})
		with data.warden.read_only.deny_tools as ["get-env"]
	# not listed: a read like any other
	data.mcp.authz.allow with input as call("get-env", {"readOnlyHint": true})
	count(data.mcp.authz.deny) == 0 with input as call("get-env", {"readOnlyHint": true})
}

test_deny_tools_matches_the_backend_name_behind_a_prefix if {
	item := object.union(call("get-env", {"readOnlyHint": true}), {"tool": {"name": "everything__get-env", "backend_name": "get-env", "annotations": {"readOnlyHint": true}}})
	count(data.mcp.authz.deny) == 1 with input as item with data.warden.read_only.deny_tools as ["get-env"]
}

test_deny_tools_hides_the_tool_from_lists if {
	item := object.union(call("get-env", {"readOnlyHint": true}), {"phase": "list", "method": "tools/list"})
	not data.mcp.authz.allow with input as item with data.warden.read_only.deny_tools as ["get-env"]
	count(data.mcp.authz.deny) == 1 with input as item with data.warden.read_only.deny_tools as ["get-env"]
}

# Settings of the wrong type fail closed: trust_annotations "false" turns trust off, deny_tools as
# one string refuses every tool (it protected none).
test_settings_of_the_wrong_type_fail_closed if {
	some v in ["false", "no", null, 0]
	not data.mcp.authz.allow with input as call("fetch", {"readOnlyHint": true}) with data.warden.read_only.trust_annotations as v
	data.mcp.authz.allow with input as call("fetch", {"readOnlyHint": true}) with data.warden.read_only.trust_annotations as true
	"Tool 'get-env' is denied by this deployment (read_only.deny_tools)" in data.mcp.authz.deny with input as call("get-env", {"readOnlyHint": true})
		with data.warden.read_only.deny_tools as "get-env"
}

# mcp-server-kubernetes' kubectl_context is annotated readOnlyHint: true, but its operation "set"
# runs `kubectl config use-context` (written to the server's kubeconfig): an argument choosing the
# operation is read as a name is.
test_operation_argument_naming_a_write_denied if {
	context := object.union(call("kubectl_context", {"readOnlyHint": true}), {"arguments": {"operation": "set", "name": "prod"}})
	reasons := data.mcp.authz.deny with input as context
	reasons == {"Operation 'set' is not allowed in read-only mode (tool 'kubectl_context', argument 'operation')"}
	every op in ["list", "get", "get_status", "list_runs"] {
		count(data.mcp.authz.deny) == 0 with input as object.union(context, {"arguments": {"operation": op}})
		data.mcp.authz.allow with input as object.union(context, {"arguments": {"operation": op}})
	}
	"Operation 'delete' is not allowed in read-only mode (tool 'manage_users', argument 'action')" in data.mcp.authz.deny with input as object.union(call("manage_users", {"readOnlyHint": true}), {"arguments": {"action": "deleteUser"}})
	# listing has no arguments: the tool stays listed (a call with operation list passes)
	listed := object.union(context, {"phase": "list", "method": "tools/list", "arguments": null})
	data.mcp.authz.allow with input as listed
	count(data.mcp.authz.deny) == 0 with input as listed
}
