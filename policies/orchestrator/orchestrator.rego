# Pack `orchestrator`: the AI-native orchestrator's MCP server (nodes and workloads).
#
# Read tools (list_nodes, get_node, list_workloads, get_workload, get_cluster_status) are open.
# Destructive operations (drain_node, cordon_node, delete_workload, scale_workload) need the
# operator role, and scale_workload's `replicas` must be a whole number from 0 to max_replicas.
# Resources orchestrator://... are readable (resources/read is decided like a tool call); those
# under an operator-only prefix (default orchestrator://secrets/), or its root, need the operator
# role; a URI not written in canonical form (lower-case host, no '.', '..' or empty segments, no
# query, fragment, %XX, space, control character or backslash: a backend may read it as another
# resource) is denied; other URIs are denied. Tools outside this set are denied.
#
# Settings in data.warden.orchestrator:
#   operator_role: "operator"
#   max_replicas: 10
#   operator_resources: ["orchestrator://secrets/"]   URI prefixes in canonical form (an entry that
#                                no canonical URI can start with makes every resource the operator's)
#   backends: [names]            judge only tools of these backends (default: every backend)
#   deny_server_requests: [..]  refuse these server-to-client requests (sampling/createMessage,
#                               elicitation/create, roots/list, ...; "*": all), which are
#                               otherwise allowed (server_requests.rego)
package mcp.packs.orchestrator

import rego.v1

default settings := {}

settings := data.warden.orchestrator

applies if not settings.backends

applies if input.backend.name in settings.backends

tool := object.get(input.tool, "backend_name", input.tool.name)

# The call's arguments when they are an object (anything else has no replicas: denied for it)
default args := {}

args := input.arguments if is_object(input.arguments)

read_tools := {"list_nodes", "get_node", "list_workloads", "get_workload", "get_cluster_status"}

destructive_tools := {"drain_node", "cordon_node", "delete_workload", "scale_workload"}

default operator_role := "operator"

operator_role := settings.operator_role

default max_replicas := 10

max_replicas := settings.max_replicas

default operator_resources := ["orchestrator://secrets/"]

operator_resources := settings.operator_resources

is_operator if operator_role in input.client.roles

allow if {
	applies
	tool in read_tools
}

allow if {
	applies
	tool in destructive_tools
	is_operator
}

deny contains sprintf("Operation '%s' requires the '%s' role", [tool, operator_role]) if {
	applies
	tool in destructive_tools
	not is_operator
}

deny contains sprintf("Tool '%s' is not part of the orchestrator tool set: denied", [input.tool.name]) if {
	applies
	input.tool
	not tool in read_tools
	not tool in destructive_tools
}

deny contains sprintf("scale_workload: replicas must be a whole number from 0 to %d (got %v)", [max_replicas, replicas]) if {
	applies
	input.phase == "request"
	tool == "scale_workload"
	replicas := object.get(args, "replicas", null)
	not valid_replicas(replicas)
}

valid_replicas(n) if {
	is_number(max_replicas) # max_replicas: "10" would compare below every number (no cap): none allowed
	is_number(n)
	n == floor(n)
	n >= 0
	n <= max_replicas
}

# Resources: read like tool calls, listed the same way. Judged by the URI the backend is sent
# (input.resource.backend_uri): behind a shared endpoint a client may name a resource by its alias
# mcp-warden:<backend>:<uri>, which the proxy routes to that backend as <uri>.
resource_uri := input.resource.backend_uri if is_string(input.resource.backend_uri)
else := input.resource.uri

orchestrator_uri if startswith(resource_uri, "orchestrator://")

# operator_resources that is not a list (a single string) makes every resource the operator's.
operator_resource if {
	is_string(resource_uri)
	not is_array(operator_resources)
}

# An entry no canonical URI can start with (not a string, an upper-case host, another scheme, a
# %XX) would protect nothing: every resource is then the operator's too (fail closed).
operator_resource if {
	is_string(resource_uri)
	some prefix in operator_resources
	not canonical_prefix(prefix)
}

canonical_prefix(prefix) if {
	is_string(prefix)
	regex.match(`^orchestrator://[a-z0-9][a-z0-9._~-]*(/[A-Za-z0-9._~:@!$&'()*+,;=-]*)*$`, prefix)
}

# Under an operator prefix, or its root ("orchestrator://secrets" for "orchestrator://secrets/").
operator_resource if {
	is_string(resource_uri)
	some prefix in operator_resources
	is_string(prefix)
	startswith(concat("", [resource_uri, "/"]), prefix)
}

# A URI is judged as written, but a backend may read another spelling as the same resource: new URL()
# (the TypeScript SDK's resources/read) drops tabs and newlines anywhere and resolves dot segments
# ("orchestrator://secre\tts/registry" is orchestrator://secrets/registry), other readers lower-case
# the host, decode %XX or collapse empty segments. So an orchestrator:// URI must be written in one
# form: lower-case host; path segments of unreserved and sub-delimiter characters, none empty, "."
# or ".."; no query, fragment, percent-escape, space, control character or backslash.
canonical_uri if {
	regex.match(`^orchestrator://[a-z0-9][a-z0-9._~-]*(/[A-Za-z0-9._~:@!$&'()*+,;=-]+)*/?$`, resource_uri)
	not regex.match(`/\.\.?(/|$)`, resource_uri)
}

deny contains sprintf("Resource %s is not written in canonical form (lower-case host; no empty, '.' or '..' segment, query, fragment, percent-escape, space, control character or backslash): denied", [json.marshal(resource_uri)]) if {
	applies
	orchestrator_uri
	not canonical_uri
}

allow if {
	applies
	orchestrator_uri
	canonical_uri
	not operator_resource
}

allow if {
	applies
	operator_resource
	is_operator
}

deny contains sprintf("Resource '%s' requires the '%s' role", [resource_uri, operator_role]) if {
	applies
	operator_resource
	not is_operator
}

deny contains sprintf("Resource '%s' is not an orchestrator:// resource: denied", [resource_uri]) if {
	applies
	resource_uri
	not orchestrator_uri
}

# Client-to-server protocol requests allowed without a tool (authz.rego), including follow-ups on
# the client's own tasks (tasks/*). Server-to-client requests: server_requests.rego.
open_methods := {
	"initialize", "ping", "tools/list", "prompts/list", "resources/list",
	"resources/templates/list", "completion/complete", "logging/setLevel",
	"notifications/initialized", "notifications/cancelled", "notifications/progress",
	"notifications/roots/list_changed", "tasks/get", "tasks/result", "tasks/list", "tasks/cancel",
	"notifications/tasks/status",
}
