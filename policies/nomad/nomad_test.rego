package mcp.packs.nomad_test

import rego.v1

settings := {"clients": {
	"team-a": {"namespaces": ["team-a", "default"]},
	"ops": {"namespaces": ["*"]},
}}

call(client, roles, name, arguments) := {
	"phase": "request",
	"method": "tools/call",
	"client": {"id": client, "name": client, "auth": "jwt", "roles": roles, "claims": {}},
	"backend": {"name": "nomad", "transport": "sse"},
	"tool": {"name": name, "backend_name": name},
	"arguments": arguments,
}

test_read_tools_open if {
	names := ["list_nomad_jobs", "get_job_status", "get_job_logs", "get_allocation_status", "get_job_evaluations"]
	allowed := {name |
		some name in names
		data.mcp.authz.allow with input as call("team-a", [], name, {"namespace": "team-a", "job_id": "web"})
			with data.warden.nomad as settings
		count(data.mcp.authz.deny) == 0 with input as call("team-a", [], name, {"namespace": "team-a", "job_id": "web"})
			with data.warden.nomad as settings
	}
	count(allowed) == 5
}

test_job_changes_need_operator if {
	names := ["stop_job", "restart_job", "create_job", "submit_job_file", "force_evaluate_job"]
	denied := {name |
		some name in names
		reasons := data.mcp.authz.deny with input as call("team-a", ["developer"], name, {"namespace": "team-a"})
			with data.warden.nomad as settings
		reasons == {sprintf("Operation '%s' requires the 'operator' role", [name])}
	}
	count(denied) == 5
	data.mcp.authz.allow with input as call("team-a", ["operator"], "stop_job", {"namespace": "team-a", "job_id": "web"})
		with data.warden.nomad as settings
}

test_namespace_per_client if {
	reasons := data.mcp.authz.deny with input as call("team-a", [], "list_nomad_jobs", {"namespace": "team-b"})
		with data.warden.nomad as settings
	reasons == {"Namespace 'team-b' is not allowed for client 'team-a' (allowed: default, team-a)"}
	count(data.mcp.authz.deny) == 0 with input as call("ops", [], "list_nomad_jobs", {"namespace": "team-b"})
		with data.warden.nomad as settings
}

test_missing_namespace_means_default if {
	count(data.mcp.authz.deny) == 0 with input as call("team-a", [], "list_nomad_jobs", {}) with data.warden.nomad as settings
	"Namespace 'default' is not allowed for client 'x' (allowed: prod)" in data.mcp.authz.deny with input as call("x", [], "list_nomad_jobs", {})
		with data.warden.nomad as {"default_namespaces": ["prod"]}
}

test_unlisted_client_gets_default_namespace_only if {
	count(data.mcp.authz.deny) == 1 with input as call("stranger", [], "list_nomad_jobs", {"namespace": "team-a"})
		with data.warden.nomad as settings
}

test_unknown_tool_denied if {
	not data.mcp.authz.allow with input as call("ops", ["operator"], "purge_everything", {}) with data.warden.nomad as settings
}

test_operator_role_configurable if {
	data.mcp.authz.allow with input as call("ops", ["sre"], "restart_job", {"job_id": "web"})
		with data.warden.nomad as object.union(settings, {"operator_role": "sre"})
}

# A job spec's own namespace decides where Nomad registers it when the request names none: a call
# without a namespace argument (judged as "default") must not land a job in another namespace.
test_job_spec_namespace_checked if {
	reasons := data.mcp.authz.deny with input as call("team-a", ["operator"], "create_job", {"job_spec": {"ID": "web", "Namespace": "prod"}})
		with data.warden.nomad as settings
	reasons == {"Job spec namespace 'prod' is not allowed for client 'team-a' (allowed: default, team-a)"}
	# nested, any case (Nomad decodes JSON specs case-insensitively, ſ as s), not a string
	"Job spec namespace 'prod' is not allowed for client 'team-a' (allowed: default, team-a)" in data.mcp.authz.deny with input as call("team-a", ["operator"], "create_job", {"job_spec": {"Job": {"ID": "web", "nameſpace": "prod"}}})
		with data.warden.nomad as settings
	"Job spec namespace '(not a string)' is not allowed for client 'team-a' (allowed: default, team-a)" in data.mcp.authz.deny with input as call("team-a", ["operator"], "create_job", {"namespace": "team-a", "job_spec": {"NAMESPACE": ["prod"]}})
		with data.warden.nomad as settings
	# its own namespace, or any for a client allowed "*"
	count(data.mcp.authz.deny) == 0 with input as call("team-a", ["operator"], "create_job", {"namespace": "team-a", "job_spec": {"ID": "web", "Namespace": "team-a"}})
		with data.warden.nomad as settings
	count(data.mcp.authz.deny) == 0 with input as call("ops", ["operator"], "create_job", {"job_spec": {"ID": "web", "Namespace": "prod"}})
		with data.warden.nomad as settings
}

test_job_file_namespace_checked if {
	hcl := "job \"web\" {\n  namespace = \"prod\"\n  datacenters = [\"dc1\"]\n}\n"
	reasons := data.mcp.authz.deny with input as call("team-a", ["operator"], "submit_job_file", {"file_content": hcl})
		with data.warden.nomad as settings
	reasons == {"Job spec namespace 'prod' is not allowed for client 'team-a' (allowed: default, team-a)"}
	json_file := "{\"Job\": {\"ID\": \"web\", \"NameSpace\" : \"prod\"}}"
	"Job spec namespace 'prod' is not allowed for client 'team-a' (allowed: default, team-a)" in data.mcp.authz.deny with input as call("team-a", ["operator"], "submit_job_file", {"file_content": json_file})
		with data.warden.nomad as settings
	# a namespace the pack cannot read
	"Tool 'submit_job_file': the job names a namespace the pack cannot read (write it as namespace = \"<name>\"): denied" in data.mcp.authz.deny with input as call("team-a", ["operator"], "submit_job_file", {"file_content": "job \"web\" {\n  namespace = var.ns\n}\n"})
		with data.warden.nomad as settings
	# allowed ones
	count(data.mcp.authz.deny) == 0 with input as call("team-a", ["operator"], "submit_job_file", {"namespace": "team-a", "file_content": "job \"web\" {\n  namespace = \"team-a\"\n}\n"})
		with data.warden.nomad as settings
	count(data.mcp.authz.deny) == 0 with input as call("team-a", ["operator"], "submit_job_file", {"file_content": "job \"web\" {\n  datacenters = [\"dc1\"]\n}\n"})
		with data.warden.nomad as settings
}

# A JSON job file's keys may be written with escapes ("Namesp\u0061ce" is Namespace to every JSON
# reader, Nomad's too), and HCL1 reads escapes in quoted keys: the pack's pattern sees no namespace.
test_job_text_escaped_key_denied if {
	escaped := "Tool 'submit_job_file': the job writes a quoted key with an escape (\\), which the pack cannot read: write keys without escapes: denied"
	json_file := `{"Job": {"ID": "web", "Namesp\u0061ce": "prod"}}`
	escaped in data.mcp.authz.deny with input as call("team-a", ["operator"], "submit_job_file", {"namespace": "team-a", "file_content": json_file})
		with data.warden.nomad as settings
	hcl1 := "job \"web\" {\n  \"n\\x61mespace\" = \"prod\"\n}\n"
	escaped in data.mcp.authz.deny with input as call("team-a", ["operator"], "submit_job_file", {"namespace": "team-a", "file_content": hcl1})
		with data.warden.nomad as settings
	# create_job's job_spec given as text
	"Tool 'create_job': the job writes a quoted key with an escape (\\), which the pack cannot read: write keys without escapes: denied" in data.mcp.authz.deny with input as call("team-a", ["operator"], "create_job", {"namespace": "team-a", "job_spec": `{"Job": {"N\u0041MESPACE": "prod"}}`})
		with data.warden.nomad as settings
	# escapes in values (not keys) are fine
	count(data.mcp.authz.deny) == 0 with input as call("team-a", ["operator"], "submit_job_file", {"namespace": "team-a", "file_content": `{"Job": {"ID": "web", "Namespace": "team-a", "Meta": {"motd": "caf\u00e9 \"x\"", "path": "C:\\tmp"}}}`})
		with data.warden.nomad as settings
	count(data.mcp.authz.deny) == 0 with input as call("team-a", ["operator"], "submit_job_file", {"namespace": "team-a", "file_content": "job \"web\" {\n  namespace = \"team-a\"\n  meta { motd = \"a\\tb\" }\n}\n"})
		with data.warden.nomad as settings
}

# Identifiers the server builds HTTP paths and queries from (identifiers.rego).
identifier_deny(name, arguments) := d if {
	d := data.mcp.authz.deny with input as call("ops", ["operator"], name, arguments) with data.warden.nomad as settings
}

test_identifiers_with_path_or_query_characters_denied if {
	every pair in [
		["job_id", "web?namespace=prod", "contains '?'"],
		["job_id", "web#", "contains '#'"],
		["job_id", "../jobs", "contains '..'"],
		["job_id", "web/allocations", "contains '/'"],
		["job_id", "web%3Fnamespace%3Dprod", "contains '%'"],
		["job_id", "web\\..\\x", "contains '..'"],
		["job_id", "web\\x", "contains '\\'"],
		["job_id", "web&namespace=prod", "contains '&'"],
		["job_id", "web\nx", "contains a control character"],
		["job_id", "", "is empty"],
		["job_id", ".", "is a path segment ('.' or '..')"],
		["job_id", ["web"], "is not a string"],
		["allocation_id", "a1/../../job/web", "contains '..'"],
		["task", "web&type=stderr", "contains '&'"],
		["namespace", "team-a?x", "contains '?'"],
		# several such characters: one reason, the first of the list's order (not a conflict error)
		["job_id", "a&b%c#d?e", "contains '?'"],
		["job_id", "a/b#c", "contains '#'"],
	] {
		[name, value, problem] := pair
		tool := {"job_id": "stop_job", "allocation_id": "get_allocation_status", "task": "get_job_logs", "namespace": "get_job_status"}[name]
		reason := sprintf("Argument '%s' %s (it would change the HTTP path or query the server builds): denied", [name, problem])
		reason in identifier_deny(tool, object.union({"job_id": "web", "namespace": "team-a"}, {name: value}))
	}
}

test_identifiers_plain_allowed if {
	count(identifier_deny("stop_job", {"job_id": "web-1.2_x", "namespace": "team-a"})) == 0
	count(identifier_deny("get_job_logs", {"job_id": "web", "task": "server", "namespace": "default"})) == 0
	count(identifier_deny("get_allocation_status", {"allocation_id": "5456bd7a-9fc0-c0dd-6131-cbee77f57577"})) == 0
	count(identifier_deny("list_nomad_jobs", {})) == 0
	data.mcp.authz.allow with input as call("ops", ["operator"], "restart_job", {"job_id": "web.v2", "namespace": "prod"}) with data.warden.nomad as settings
}

test_identifiers_reads_too if {
	# a developer's read names a job id that would ask another namespace
	"Argument 'job_id' contains '?' (it would change the HTTP path or query the server builds): denied" in data.mcp.authz.deny with input as call("team-a", [], "get_job_status", {"job_id": "billing?namespace=team-b", "namespace": "team-a"}) with data.warden.nomad as settings
}
