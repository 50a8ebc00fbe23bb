# Pack `containarium`: the Containarium MCP server (per-user LXC containers), clients with JWTs.
#
# The admin role may create, delete, start and stop containers. Any other role may only list
# containers, get a container and read metrics, and get_container/get_metrics only for its own
# username: the `username` argument must equal the JWT claim named by username_claim. A client
# without any role is denied. Tools outside this set are denied.
#
# Settings in data.warden.containarium:
#   admin_role: "admin"
#   username_claim: "username"   JWT claim holding the caller's username
#   backends: [names]            judge only tools of these backends (default: every backend)
#   deny_server_requests: [..]  refuse these server-to-client requests (sampling/createMessage,
#                               elicitation/create, roots/list, ...; "*": all), which are
#                               otherwise allowed (server_requests.rego)
package mcp.packs.containarium

import rego.v1

default settings := {}

settings := data.warden.containarium

applies if not settings.backends

applies if input.backend.name in settings.backends

tool := object.get(input.tool, "backend_name", input.tool.name)

admin_tools := {"create_container", "delete_container", "start_container", "stop_container"}

read_tools := {"list_containers", "get_container", "get_metrics"}

# Read tools bound to the caller's own username.
owned_tools := {"get_container", "get_metrics"}

default admin_role := "admin"

admin_role := settings.admin_role

default username_claim := "username"

username_claim := settings.username_claim

is_admin if admin_role in input.client.roles

has_role if count(input.client.roles) > 0

caller := input.client.claims[username_claim]

requested_user := input.arguments.username

# The call's arguments when they are an object (for the deny message: object.get of anything else is an error)
default args := {}

args := input.arguments if is_object(input.arguments)

# The caller's username: a non-empty string (the server reads an empty username as "all containers":
# get_metrics with username "" returns every user's metrics).
valid_caller if {
	is_string(caller)
	caller != ""
}

own_user if {
	valid_caller
	requested_user == caller
}

allow if {
	applies
	tool in admin_tools
	is_admin
}

allow if {
	applies
	tool in read_tools
	is_admin
}

allow if {
	applies
	tool in read_tools
	has_role
	not bound_violation
}

bound_violation if {
	input.phase == "request"
	not is_admin
	tool in owned_tools
	not own_user
}

# Without the username claim no call of an owned tool can pass: do not list it either.
bound_violation if {
	input.phase == "list"
	not is_admin
	tool in owned_tools
	not valid_caller
}

deny contains sprintf("Operation '%s' requires the '%s' role", [tool, admin_role]) if {
	applies
	tool in admin_tools
	not is_admin
}

deny contains sprintf("Tool '%s' requires a role from the client's token", [tool]) if {
	applies
	tool in read_tools
	not has_role
}

deny contains sprintf("Tool '%s' may only be used for your own username '%s' (requested '%v')", [tool, caller, object.get(args, "username", null)]) if {
	applies
	bound_violation
	valid_caller
}

deny contains sprintf("Tool '%s' needs the '%s' claim in the client's token to check the username", [tool, username_claim]) if {
	applies
	bound_violation
	not valid_caller
}

deny contains sprintf("Tool '%s' is not part of the Containarium tool set: denied", [input.tool.name]) if {
	applies
	input.tool
	not tool in admin_tools
	not tool in read_tools
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
