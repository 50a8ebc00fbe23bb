package mcp.packs.orchestrator_test

import rego.v1

call(roles, name, arguments) := {
	"phase": "request",
	"method": "tools/call",
	"client": {"id": "agent", "name": "agent", "auth": "jwt", "roles": roles, "claims": {}},
	"backend": {"name": "orchestrator", "transport": "streamable-http"},
	"tool": {"name": name, "backend_name": name},
	"arguments": arguments,
}

read(roles, uri) := {
	"phase": "request",
	"method": "resources/read",
	"client": {"id": "agent", "name": "agent", "auth": "jwt", "roles": roles, "claims": {}},
	"backend": {"name": "orchestrator", "transport": "streamable-http"},
	"resource": {"uri": uri},
	"params": {"uri": uri},
}

test_reads_open if {
	data.mcp.authz.allow with input as call([], "list_nodes", {})
	data.mcp.authz.allow with input as call([], "get_workload", {"name": "web"})
}

test_destructive_needs_operator if {
	names := ["drain_node", "cordon_node", "delete_workload"]
	checked := {name |
		some name in names
		reasons := data.mcp.authz.deny with input as call(["viewer"], name, {"name": "n1"})
		reasons == {sprintf("Operation '%s' requires the 'operator' role", [name])}
		data.mcp.authz.allow with input as call(["operator"], name, {"name": "n1"})
		count(data.mcp.authz.deny) == 0 with input as call(["operator"], name, {"name": "n1"})
	}
	count(checked) == 3
}

test_scale_replicas_capped if {
	count(data.mcp.authz.deny) == 0 with input as call(["operator"], "scale_workload", {"name": "web", "replicas": 10})
	reasons := data.mcp.authz.deny with input as call(["operator"], "scale_workload", {"name": "web", "replicas": 50})
	reasons == {"scale_workload: replicas must be a whole number from 0 to 10 (got 50)"}
	count(data.mcp.authz.deny) == 1 with input as call(["operator"], "scale_workload", {"name": "web", "replicas": "5"})
	count(data.mcp.authz.deny) == 1 with input as call(["operator"], "scale_workload", {"name": "web", "replicas": 2.5})
	count(data.mcp.authz.deny) == 1 with input as call(["operator"], "scale_workload", {"name": "web"})
	count(data.mcp.authz.deny) == 0 with input as call(["operator"], "scale_workload", {"name": "web", "replicas": 40})
		with data.warden.orchestrator.max_replicas as 40
}

test_resources_readable if {
	data.mcp.authz.allow with input as read([], "orchestrator://nodes/n1")
	count(data.mcp.authz.deny) == 0 with input as read([], "orchestrator://cluster/status")
}

test_operator_resources if {
	"Resource 'orchestrator://secrets/registry' requires the 'operator' role" in data.mcp.authz.deny with input as read([], "orchestrator://secrets/registry")
	data.mcp.authz.allow with input as read(["operator"], "orchestrator://secrets/registry")
}

test_foreign_resource_denied if {
	not data.mcp.authz.allow with input as read(["operator"], "file:///etc/passwd")
	"Resource 'file:///etc/passwd' is not an orchestrator:// resource: denied" in data.mcp.authz.deny with input as read(["operator"], "file:///etc/passwd")
}

test_unknown_tool_denied if {
	not data.mcp.authz.allow with input as call(["operator"], "rm_rf", {})
}

# Arguments that are not an object have no replicas: denied for it (before, object.get of them was
# a builtin error: undefined without strict builtin errors, so this deny did not fire).
test_scale_without_an_arguments_object_denied if {
	reasons := data.mcp.authz.deny with input as call(["operator"], "scale_workload", "5")
	reasons == {"scale_workload: replicas must be a whole number from 0 to 10 (got null)"}
	count(data.mcp.authz.deny) == 1 with input as call(["operator"], "scale_workload", null)
	count(data.mcp.authz.deny) == 1 with input as call(["operator"], "scale_workload", [{"replicas": 3}])
}

# Spellings a backend may read as a secret (new URL() drops tabs and newlines and resolves dot
# segments; other readers lower-case the host, decode %XX, collapse empty segments) are denied.
test_secret_spellings_denied if {
	uris := [
		"orchestrator://secre\tts/registry", "orchestrator://\nsecrets/registry", "orchestrator://secrets\r/registry",
		"orchestrator://SECRETS/registry", "orchestrator://%73ecrets/registry", "orchestrator:///secrets/registry",
		"orchestrator://cluster/../secrets/registry", "orchestrator://cluster/./status", "orchestrator://cluster//status",
		"orchestrator://cluster/status?x=1", "orchestrator://cluster/status#x", "orchestrator://cluster\\status",
		"orchestrator://cluster/sta tus",
	]
	denied := {uri |
		some uri in uris
		not data.mcp.authz.allow with input as read(["viewer"], uri)
		some reason in data.mcp.authz.deny with input as read(["viewer"], uri)
		contains(reason, "is not written in canonical form")
	}
	denied == {uri | some uri in uris}
}

# The operator prefix's own root is the operator's too.
test_secrets_root_needs_operator if {
	"Resource 'orchestrator://secrets' requires the 'operator' role" in data.mcp.authz.deny with input as read(["viewer"], "orchestrator://secrets")
	data.mcp.authz.allow with input as read(["operator"], "orchestrator://secrets")
	count(data.mcp.authz.deny) == 0 with input as read(["viewer"], "orchestrator://nodes/node-1")
	count(data.mcp.authz.deny) == 0 with input as read(["viewer"], "orchestrator://secretsauce/x")
}

# Settings of the wrong type fail closed: max_replicas "10" would compare below every number,
# operator_resources as one string would protect nothing.
test_settings_of_the_wrong_type_fail_closed if {
	count(data.mcp.authz.deny) == 1 with input as call(["operator"], "scale_workload", {"name": "web", "replicas": 500})
		with data.warden.orchestrator.max_replicas as "10"
	"Resource 'orchestrator://secrets/registry' requires the 'operator' role" in data.mcp.authz.deny with input as read(["viewer"], "orchestrator://secrets/registry")
		with data.warden.orchestrator.operator_resources as "orchestrator://secrets/"
}

# An operator_resources entry that no canonical URI can start with (not a string, a YAML map
# written by mistake, an upper-case host, another scheme) would protect nothing: every resource is
# then the operator's, as with a setting that is not a list.
test_operator_resources_entry_that_matches_nothing_fails_closed if {
	entries := [
		[{"uri": "orchestrator://secrets/"}],
		["orchestrator://Secrets/"],
		["Orchestrator://secrets/"],
		["orchestrator://secrets/%2F"],
		[7],
	]
	denied := {i |
		some i, entry in entries
		"Resource 'orchestrator://secrets/registry' requires the 'operator' role" in data.mcp.authz.deny with input as read(["viewer"], "orchestrator://secrets/registry")
			with data.warden.orchestrator.operator_resources as entry
	}
	count(denied) == count(entries)
	# one bad entry among good ones still fails closed; good ones alone do not
	not data.mcp.authz.allow with input as read(["viewer"], "orchestrator://nodes/n1")
		with data.warden.orchestrator.operator_resources as ["orchestrator://secrets/", "orchestrator://Vault/"]
	data.mcp.authz.allow with input as read(["viewer"], "orchestrator://nodes/n1")
		with data.warden.orchestrator.operator_resources as ["orchestrator://secrets/", "orchestrator://vault", "orchestrator://cluster/keys/"]
	data.mcp.authz.allow with input as read(["viewer"], "orchestrator://nodes/n1")
		with data.warden.orchestrator.operator_resources as []
}
