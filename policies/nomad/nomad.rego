# Pack `nomad`: the Nomad MCP server (served over SSE in the Nomad guide).
#
# Read tools (list_nomad_jobs, get_job_status, get_job_logs, get_allocation_status,
# get_job_evaluations) are open to every client; job changes (stop_job, restart_job, create_job,
# submit_job_file, force_evaluate_job) need the operator role. Every call names a Nomad namespace in
# its `namespace` argument (Nomad's default is "default"), which must be one the client may use.
# Tools outside this set are denied.
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

# Client-to-server protocol requests allowed without a tool (authz.rego), including follow-ups on
# the client's own tasks (tasks/*). Server-to-client requests: server_requests.rego.
open_methods := {
	"initialize", "ping", "tools/list", "prompts/list", "prompts/get", "resources/list",
	"resources/templates/list", "completion/complete", "logging/setLevel",
	"notifications/initialized", "notifications/cancelled", "notifications/progress",
	"notifications/roots/list_changed", "tasks/get", "tasks/result", "tasks/list", "tasks/cancel",
	"notifications/tasks/status",
}
