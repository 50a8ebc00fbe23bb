package mcp.packs.qubinode_server_requests_test

import rego.v1

from_server(method) := {
	"phase": "request",
	"method": method,
	"direction": "server_to_client",
	"client": {"id": "alice", "name": "alice", "auth": "api_key", "roles": [], "claims": {}},
	"session": {"id": "s1", "transport": "stdio"},
	"backend": {"name": "srv", "transport": "stdio"},
	"params": {},
}

from_client(method) := object.union(from_server(method), {"direction": "client_to_server"})

server_methods := [
	"sampling/createMessage", "elicitation/create", "roots/list", "ping",
	"tasks/get", "tasks/result", "tasks/list", "tasks/cancel",
]

test_server_requests_allowed_by_default if {
	allowed := {m |
		some m in server_methods
		data.mcp.authz.allow with input as from_server(m)
		count(data.mcp.authz.deny) == 0 with input as from_server(m)
	}
	count(allowed) == count(server_methods)
}

test_deny_server_requests_refuses_the_chosen_ones if {
	reasons := data.mcp.authz.deny with input as from_server("sampling/createMessage")
		with data.warden.qubinode.deny_server_requests as ["sampling/createMessage"]
	reasons == {"Request 'sampling/createMessage' from backend 'srv' to the client is denied by data.warden.qubinode.deny_server_requests"}
	count(data.mcp.authz.deny) == 0 with input as from_server("elicitation/create")
		with data.warden.qubinode.deny_server_requests as ["sampling/createMessage"]
	data.mcp.authz.allow with input as from_server("elicitation/create")
		with data.warden.qubinode.deny_server_requests as ["sampling/createMessage"]
}

test_deny_server_requests_star_refuses_all if {
	denied := {m |
		some m in server_methods
		count(data.mcp.authz.deny) == 1 with input as from_server(m) with data.warden.qubinode.deny_server_requests as ["*"]
	}
	count(denied) == count(server_methods)
}

test_deny_server_requests_malformed_fails_closed if {
	reasons := data.mcp.authz.deny with input as from_server("roots/list")
		with data.warden.qubinode.deny_server_requests as "sampling/createMessage"
	reasons == {"data.warden.qubinode.deny_server_requests must be a list of method names: server requests denied"}
}

test_deny_server_requests_scoped_by_backends if {
	count(data.mcp.authz.deny) == 0 with input as from_server("sampling/createMessage")
		with data.warden.qubinode as {"backends": ["other"], "deny_server_requests": ["sampling/createMessage"]}
	count(data.mcp.authz.deny) == 1 with input as from_server("sampling/createMessage")
		with data.warden.qubinode as {"backends": ["srv"], "deny_server_requests": ["sampling/createMessage"]}
}

test_unknown_server_request_not_allowed if {
	not data.mcp.authz.allow with input as from_server("x/unknown")
	# a client-to-server method sent by a server is not one of the server's requests
	not data.mcp.authz.allow with input as from_server("tools/list")
	not data.mcp.authz.allow with input as from_server("initialize")
}

test_server_methods_sent_by_a_client_not_allowed if {
	not data.mcp.authz.allow with input as from_client("sampling/createMessage")
	not data.mcp.authz.allow with input as from_client("elicitation/create")
	not data.mcp.authz.allow with input as from_client("roots/list")
}

test_client_task_follow_ups_allowed if {
	allowed := {m |
		some m in ["tasks/get", "tasks/result", "tasks/list", "tasks/cancel", "ping", "notifications/roots/list_changed", "notifications/tasks/status"]
		data.mcp.authz.allow with input as from_client(m)
		count(data.mcp.authz.deny) == 0 with input as from_client(m)
	}
	count(allowed) == 7
}

test_missing_direction_is_client_to_server if {
	data.mcp.authz.allow with input as object.remove(from_client("tasks/get"), ["direction"])
	not data.mcp.authz.allow with input as object.remove(from_client("sampling/createMessage"), ["direction"])
}

# A misspelt entry ("sampling/createmessage", "sampling") would refuse nothing, silently: an entry
# that is neither one of the server requests above nor "*" refuses every server request (fail closed).
test_deny_server_requests_unknown_entry_fails_closed if {
	reason := "data.warden.qubinode.deny_server_requests names 'sampling/createmessage', not a server request method (sampling/createMessage, elicitation/create, roots/list, ping, tasks/get, tasks/result, tasks/list, tasks/cancel) or \"*\": server requests denied"
	denied := {m |
		some m in server_methods
		reason in data.mcp.authz.deny with input as from_server(m)
			with data.warden.qubinode.deny_server_requests as ["elicitation/create", "sampling/createmessage"]
	}
	count(denied) == count(server_methods)
	"data.warden.qubinode.deny_server_requests names '7', not a server request method (sampling/createMessage, elicitation/create, roots/list, ping, tasks/get, tasks/result, tasks/list, tasks/cancel) or \"*\": server requests denied" in data.mcp.authz.deny with input as from_server("roots/list")
		with data.warden.qubinode.deny_server_requests as [7]
	# client requests are not affected
	count(data.mcp.authz.deny) == 0 with input as from_client("tasks/get")
		with data.warden.qubinode.deny_server_requests as ["sampling/createmessage"]
}
