# Requests a server sends to the user's own client (input.direction == "server_to_client"):
# sampling/createMessage, elicitation/create, roots/list, ping, and tasks/get, tasks/result,
# tasks/list, tasks/cancel on tasks the client runs for the server. They go to the user's client,
# where the client and its human decide whether to answer, and change no infrastructure: allowed.
# A server-to-client method not in this list is not allowed (fail secure).
#
# Setting in data.warden.read_only:
#   deny_server_requests: ["sampling/createMessage", ...]   refuse these ("*": every one), for the
#                                                           backends this pack judges (`backends`);
#                                                           an entry naming no such method refuses all
package mcp.packs.read_only

import rego.v1

server_request if input.direction == "server_to_client"

server_request_methods := {
	"sampling/createMessage", "elicitation/create", "roots/list", "ping",
	"tasks/get", "tasks/result", "tasks/list", "tasks/cancel",
}

allow if {
	server_request
	input.method in server_request_methods
}

default server_request_backend := "(unknown)"

server_request_backend := input.backend.name

deny contains sprintf("Request '%s' from backend '%s' to the client is denied by data.warden.read_only.deny_server_requests", [input.method, server_request_backend]) if {
	server_request
	applies
	some refused in settings.deny_server_requests
	refused in {input.method, "*"}
}

# A malformed setting refuses every server request rather than none (fail closed).
deny contains "data.warden.read_only.deny_server_requests must be a list of method names: server requests denied" if {
	server_request
	applies
	not is_array(settings.deny_server_requests)
	settings.deny_server_requests
}

# An entry that is neither a server request method above nor "*" (a misspelling such as
# "sampling/createmessage" would refuse nothing) refuses every server request (fail closed).
deny contains sprintf("data.warden.read_only.deny_server_requests names '%v', not a server request method (sampling/createMessage, elicitation/create, roots/list, ping, tasks/get, tasks/result, tasks/list, tasks/cancel) or \"*\": server requests denied", [entry]) if {
	server_request
	applies
	is_array(settings.deny_server_requests)
	some entry in settings.deny_server_requests
	not entry in server_request_methods
	entry != "*"
}
