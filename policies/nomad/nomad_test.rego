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
