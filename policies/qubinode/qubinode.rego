# Pack `qubinode`: the Qubinode Navigator MCP server (Airflow DAGs, KVM virtual machines, task logs).
#
# Tools fall into three categories, each enabled per client (clients are told apart by their API
# key, which the identity stage maps to client.id):
#   dags: list_dags, get_dag_info, get_dag_runs, trigger_dag
#   vms:  list_vms, get_vm_info, create_vm, delete_vm
#   logs: get_task_logs
# A read-only switch (for everyone or per client) keeps listing and logs and denies trigger_dag,
# create_vm and delete_vm; any value but false (or none) turns it on. Tools outside this set are denied.
#
# Settings in data.warden.qubinode:
#   clients: {<client id>: {categories: ["dags", "vms", "logs"] or ["*"], read_only: true}}
#   read_only: true              read-only for every client
#   backends: [names]            judge only tools of these backends (default: every backend)
#   deny_server_requests: [..]  refuse these server-to-client requests (sampling/createMessage,
#                               elicitation/create, roots/list, ...; "*": all), which are
#                               otherwise allowed (server_requests.rego)
package mcp.packs.qubinode

import rego.v1

default settings := {}

settings := data.warden.qubinode

applies if not settings.backends

applies if input.backend.name in settings.backends

tool := object.get(input.tool, "backend_name", input.tool.name)

categories := {
	"list_dags": "dags", "get_dag_info": "dags", "get_dag_runs": "dags", "trigger_dag": "dags",
	"list_vms": "vms", "get_vm_info": "vms", "create_vm": "vms", "delete_vm": "vms",
	"get_task_logs": "logs",
}

write_tools := {"trigger_dag", "create_vm", "delete_vm"}

category_names := {"dags": "DAG management", "vms": "VM operations", "logs": "log access"}

client_settings := settings.clients[input.client.id]

enabled_categories contains c if some c in client_settings.categories

# Set and not false: a setting spelled otherwise (`read_only: yes`, "true", 1) is read-only, not
# silently off (fail closed).
read_only if switched_on(settings, "read_only")

read_only if switched_on(client_settings, "read_only")

switched_on(obj, key) if {
	is_object(obj)
	v := object.get(obj, key, false)
	v != false
}

category := categories[tool]

category_enabled if category in enabled_categories

category_enabled if "*" in enabled_categories

# Tools only: category_enabled holds for a "*" client whatever the request, and requests without a
# tool are open_methods' to allow (a "*" client's resources/read or an unknown method are not).
allow if {
	applies
	input.tool
	category_enabled
	not write_blocked
}

write_blocked if {
	tool in write_tools
	read_only
}

deny contains sprintf("Tool '%s' is not part of the Qubinode Navigator tool set: denied", [input.tool.name]) if {
	applies
	input.tool
	not category
}

deny contains sprintf("Client '%s' is not allowed %s (category '%s' is not enabled for it)", [input.client.id, category_names[category], category]) if {
	applies
	not category_enabled
}

deny contains sprintf("Operation '%s' is not allowed in read-only mode", [tool]) if {
	applies
	write_blocked
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
