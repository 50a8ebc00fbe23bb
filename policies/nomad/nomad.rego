# Pack `nomad`: the Nomad MCP server (served over SSE in the Nomad guide).
#
# Read tools (list_nomad_jobs, get_job_status, get_job_logs, get_allocation_status,
# get_job_evaluations) are open to every client; job changes (stop_job, restart_job, create_job,
# submit_job_file, force_evaluate_job) need the operator role. Every call names a Nomad namespace in
# its `namespace` argument (Nomad's default is "default"), which must be one the client may use;
# so must every namespace a submitted job names (create_job's job_spec, submit_job_file's
# file_content: Nomad registers the job there when the request names none; a job text with a quoted
# key written with an escape, "Namesp\u0061ce", is denied: JSON readers decode it). A call without a
# namespace argument is judged as "default": run the server without NOMAD_NAMESPACE in its
# environment (Nomad clients read it as their namespace when a call names none; "*" is every one).
# Tools outside this set are denied. Identifiers the server builds HTTP paths and queries from
# (job_id, allocation_id, namespace, task) must not carry ?, #, /, \, %, &, control characters or
# ".." (identifiers.rego).
#
# Settings in data.warden.nomad:
#   clients: {<client id>: {namespaces: [..]}}   namespaces per client ("*": any)
#   default_namespaces: [..]     for clients not listed (default: ["default"])
#   operator_role: "operator"    role that may change jobs
#   backends: [names]            judge only tools of these backends (default: every backend)
#   deny_server_requests: [..]  refuse these server-to-client requests (sampling/createMessage,
#                               elicitation/create, roots/list, ...; "*": all), which are
#                               otherwise allowed (server_requests.rego)
package mcp.packs.nomad

import rego.v1

default settings := {}

settings := data.warden.nomad

applies if not settings.backends

applies if input.backend.name in settings.backends

tool := object.get(input.tool, "backend_name", input.tool.name)

read_tools := {"list_nomad_jobs", "get_job_status", "get_job_logs", "get_allocation_status", "get_job_evaluations"}

operator_tools := {"stop_job", "restart_job", "create_job", "submit_job_file", "force_evaluate_job"}

default operator_role := "operator"

operator_role := settings.operator_role

is_operator if operator_role in input.client.roles

allowed_namespaces := ns if {
	ns := settings.clients[input.client.id].namespaces
} else := ns if {
	ns := settings.default_namespaces
} else := ["default"]

requested_namespace := object.get(input.arguments, "namespace", "default") if is_object(input.arguments)

requested_namespace := "default" if not is_object(input.arguments)

namespace_ok if "*" in allowed_namespaces

namespace_ok if requested_namespace in allowed_namespaces

allow if {
	applies
	tool in read_tools
}

allow if {
	applies
	tool in operator_tools
	is_operator
}

deny contains sprintf("Operation '%s' requires the '%s' role", [tool, operator_role]) if {
	applies
	tool in operator_tools
	not is_operator
}

deny contains sprintf("Tool '%s' is not part of the Nomad tool set: denied", [input.tool.name]) if {
	applies
	input.tool
	not tool in read_tools
	not tool in operator_tools
}

deny contains sprintf("Namespace '%v' is not allowed for client '%s' (allowed: %s)", [requested_namespace, input.client.id, concat(", ", sort(allowed_namespaces))]) if {
	applies
	input.phase == "request"
	input.tool
	not namespace_ok
}

# A job a client submits names its own namespace: Nomad registers it there when the request does not
# (job.Namespace is used when the register request carries no namespace: a call without a
# `namespace` argument, judged as "default", would land the job in the spec's). So every namespace
# the job spec or job file names must be allowed too: create_job's job_spec (any member named
# namespace at any depth, in any case: Nomad decodes JSON specs case-insensitively) and
# submit_job_file's file_content (`namespace = "x"` in HCL, `"Namespace": "x"` in JSON). A
# namespace the pack cannot read (not a plain string, `namespace = var.ns`) is denied.
# The call's arguments when they are an object
default args := {}

args := input.arguments if is_object(input.arguments)

job_text := t if {
	tool == "submit_job_file"
	t := object.get(args, "file_content", "")
	is_string(t)
} else := t if {
	tool == "create_job"
	t := object.get(args, "job_spec", "")
	is_string(t)
}

# RE2's (?i) folds as Go's JSON decoder does (ſ is s, K is k).
namespace_word := `(?i)namespace`

# namespace = "x" (HCL), "Namespace": "x" (JSON); no interpolation or escapes in the value
namespace_setting := `(?i)"?namespace"?\s*[=:]\s*"([^"\\$%{}]*)"`

spec_namespaces contains ns if {
	tool == "create_job"
	spec := object.get(args, "job_spec", {})
	is_object(spec)
	walk(spec, [path, value])
	count(path) > 0
	key := path[count(path) - 1]
	is_string(key)
	regex.match(`^(?i)namespace$`, key)
	ns := spec_namespace_value(value)
}

spec_namespaces contains ns if {
	some m in regex.find_all_string_submatch_n(namespace_setting, job_text, -1)
	ns := m[1]
}

spec_namespace_value(v) := v if is_string(v)

spec_namespace_value(v) := "(not a string)" if not is_string(v)

# Every mention of "namespace" in a job file must be one the pattern above read.
unreadable_job_namespace if {
	count(regex.find_n(namespace_word, job_text, -1)) != count(regex.find_all_string_submatch_n(namespace_setting, job_text, -1))
}

deny contains sprintf("Job spec namespace '%s' is not allowed for client '%s' (allowed: %s)", [ns, input.client.id, concat(", ", sort(allowed_namespaces))]) if {
	applies
	input.phase == "request"
	not "*" in allowed_namespaces
	some ns in spec_namespaces
	not ns in allowed_namespaces
}

deny contains sprintf("Tool '%s': the job names a namespace the pack cannot read (write it as namespace = \"<name>\"): denied", [input.tool.name]) if {
	applies
	input.phase == "request"
	unreadable_job_namespace
}

# A quoted key written with an escape: JSON readers (Nomad's too) decode "Namesp\u0061ce" to
# Namespace, HCL1 decodes \x61 in a quoted key, and the patterns above read the text as written.
# Such a key is denied, whatever it spells (escapes in values are fine).
escaped_key_pattern := `"(?:[^"\\\n]|\\.)*\\.(?:[^"\\\n]|\\.)*"\s*[:=]`

deny contains sprintf("Tool '%s': the job writes a quoted key with an escape (\\), which the pack cannot read: write keys without escapes: denied", [input.tool.name]) if {
	applies
	input.phase == "request"
	regex.match(escaped_key_pattern, job_text)
}

# Client-to-server protocol requests allowed without a tool (authz.rego), including follow-ups on
# the client's own tasks (tasks/*). Server-to-client requests: server_requests.rego.
open_methods := {
	"initialize", "ping", "tools/list", "prompts/list", "prompts/get", "resources/list",
	"resources/templates/list", "completion/complete", "logging/setLevel",
	"notifications/initialized", "notifications/cancelled", "notifications/progress",
	"notifications/roots/list_changed", "tasks/get", "tasks/result", "tasks/list", "tasks/cancel",
	"notifications/tasks/status",
}
