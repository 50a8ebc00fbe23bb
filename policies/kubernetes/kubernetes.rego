# Pack `kubernetes`: a troubleshooting assistant for mcp-server-kubernetes (npm) and for
# kubernetes-mcp-server (the Go server; its tools: go_server.rego).
#
# Verbs get/describe/logs/top (and explain, api-resources, ping, context list/get, rollout
# status/history) are allowed; delete/apply/edit/scale/patch/replace/create/... are denied with
# "Operation 'delete' is not allowed in read-only mode"; a verb the pack does not recognize is
# denied. Namespaces are checked on the `namespace` argument (the server's default is "default";
# kubectl_generic and port_forward pass none, so kubectl uses its context's namespace: while
# namespaces are restricted they must name one),
# on `allNamespaces`, and on generic kubectl command strings (-n, --namespace, --all-namespaces,
# -A) of kubectl_generic, read as kubectl reads the command line the server builds (argv.rego:
# arguments that are not strings or start with "-" are denied). exec (exec_in_pod, kubectl exec)
# is off unless enabled.
#
# Settings in data.warden.kubernetes (all optional):
#   allowed_namespaces: [..]         namespaces every client may touch ("*": any; absent: any)
#   clients: {<client id>: {allowed_namespaces: [..]}}   per-client override
#   allow_exec: true                 enable exec_in_pod / kubectl exec
#   read_only: false                 also allow the write verbs (namespaces still apply: while
#                                    they are restricted, writes touch namespaced kinds only,
#                                    scope.rego)
#   namespaced_custom_resources: [{group, kind, plural}]   custom resources known to be namespaced:
#                                    written like built-in namespaced kinds while namespaces are
#                                    restricted (custom_resources.rego; unlisted ones are denied,
#                                    as are built-in names of another group: resource_types.rego)
#   allow_secrets: true              allow reading Secret objects (guards.rego)
#   allowed_contexts: [..]           kube contexts a `context` argument, or kubectl_context's set,
#                                    may name (guards.rego)
#   backends: [names]                judge only tools of these backends (default: every backend)
#   deny_server_requests: [..]  refuse these server-to-client requests (sampling/createMessage,
#                               elicitation/create, roots/list, ...; "*": all), which are
#                               otherwise allowed (server_requests.rego)
package mcp.packs.kubernetes

import rego.v1

default settings := {}

settings := data.warden.kubernetes

applies if not settings.backends

applies if input.backend.name in settings.backends

read_only if not settings.read_only == false

exec_enabled if settings.allow_exec == true

tool := object.get(input.tool, "backend_name", input.tool.name)

default args := {}

args := input.arguments if is_object(input.arguments)

read_verbs := {
	"get", "describe", "logs", "top", "explain", "api-resources", "api-versions", "version",
	"cluster-info", "ping", "context-list", "context-get", "rollout-status", "rollout-history",
}

write_verbs := {
	"delete", "apply", "edit", "scale", "patch", "replace", "create", "label", "annotate", "set",
	"rollout-restart", "rollout-undo", "rollout-pause", "rollout-resume", "cordon", "uncordon",
	"drain", "taint", "helm-install", "helm-upgrade", "helm-uninstall", "context-set",
	"port-forward", "autoscale", "expose", "run", "cp", "attach", "cleanup", "reconnect",
}

# Tools whose verb does not depend on their arguments.
fixed_verbs := {
	"kubectl_get": "get", "kubectl_describe": "describe", "kubectl_logs": "logs",
	"kubectl_apply": "apply", "kubectl_delete": "delete", "kubectl_create": "create",
	"kubectl_scale": "scale", "kubectl_patch": "patch", "explain_resource": "explain",
	"list_api_resources": "api-resources", "ping": "ping", "install_helm_chart": "helm-install",
	"upgrade_helm_chart": "helm-upgrade", "uninstall_helm_chart": "helm-uninstall",
	"port_forward": "port-forward", "stop_port_forward": "port-forward", "exec_in_pod": "exec",
	"cleanup": "cleanup", "kubectl_reconnect": "reconnect",
	# kubernetes-mcp-server (go_server.rego: namespaces, kinds, manifests; the tools/list of
	# v0.0.66 in test/fixtures/kubernetes-mcp-server/)
	"pods_list": "get", "pods_list_in_namespace": "get", "pods_get": "get", "pods_log": "logs",
	"pods_top": "top", "pods_delete": "delete", "pods_exec": "exec", "pods_run": "run",
	"resources_list": "get", "resources_get": "get", "resources_delete": "delete",
	"resources_create_or_update": "apply", "namespaces_list": "get", "projects_list": "get",
	"events_list": "get", "nodes_top": "top", "nodes_log": "logs", "nodes_stats_summary": "top",
	"configuration_contexts_list": "context-list", "configuration_view": "config-view",
	"helm_list": "helm-list", "helm_install": "helm-install", "helm_uninstall": "helm-uninstall",
}

# Read verbs of kubernetes-mcp-server's tools only (not kubectl commands: kubectl_generic's
# `kubectl helm-list` would run a plugin).
go_read_verbs := {"config-view", "helm-list"}

# Verb names of other tools' operations that are no command of kubectl's own: kubectl runs a
# plugin (`kubectl-<word>` on the server's PATH) for a first word it does not know, so
# kubectl_generic's "ping" is not the ping tool's read but whatever such a plugin does.
not_kubectl_commands := {
	"ping", "context-list", "context-get", "context-set", "rollout-status", "rollout-history",
	"rollout-restart", "rollout-undo", "rollout-pause", "rollout-resume", "helm-install",
	"helm-upgrade", "helm-uninstall", "cleanup", "reconnect", "config-view", "helm-list",
}

# Tools whose verb is read from their arguments (unknown at the list phase).
argument_verb_tools := {"kubectl_generic", "kubectl_rollout", "kubectl_context", "node_management", "resources_scale"}

# Every operation of node_management (cordon, uncordon, drain) changes the cluster.
write_only_tools := {"node_management"}

namespaced_tools := {
	"kubectl_get", "kubectl_describe", "kubectl_logs", "kubectl_apply", "kubectl_delete",
	"kubectl_create", "kubectl_scale", "kubectl_patch", "kubectl_rollout", "kubectl_generic",
	"exec_in_pod", "install_helm_chart", "upgrade_helm_chart", "uninstall_helm_chart", "port_forward",
}

known_tool if fixed_verbs[tool]

known_tool if tool in argument_verb_tools

# (each builtin below is given only values of its operand types: with policy.builtinErrors strict a
# builtin error would deny the call as an evaluation error, not for the pack's own reason)
command_words := words if {
	c := object.get(args, "command", "")
	is_string(c)
	words := [w | some w in regex.split(`\s+`, trim_space(c)); w != ""]
}

subcommand_words := words if {
	c := object.get(args, "subCommand", "")
	is_string(c)
	words := [w | some w in regex.split(`\s+`, trim_space(c)); w != ""]
}

# kubectl_generic's command line: command, subCommand, resourceType, name and args, in that order
# (argv.rego: operand_words, and the flags).
generic_tokens := array.concat(array.concat(array.concat(command_words, subcommand_words), operand_words), extra) if {
	tool == "kubectl_generic"
	extra := object.get(args, "args", [])
	is_array(extra)
}

# The verb of this call: one else-chain, so the common case (a fixed verb) evaluates one body.
verb := v if {
	v := fixed_verbs[tool]
} else := "scale" if {
	# kubernetes-mcp-server scales when the argument is there at all (any value, null too);
	# without it, it only reads the current scale
	tool == "resources_scale"
	_ = args.scale # defined when given, whatever its value
} else := "get" if {
	tool == "resources_scale"
} else := concat("-", ["rollout", lower(args.subCommand)]) if {
	tool == "kubectl_rollout"
	is_string(args.subCommand)
} else := concat("-", ["context", lower(args.operation)]) if {
	tool == "kubectl_context"
	is_string(args.operation)
} else := op if {
	tool == "node_management"
	is_string(args.operation)
	op := lower(args.operation)
	op in {"cordon", "uncordon", "drain"}
} else := concat(" ", ["node_management", lower(args.operation)]) if {
	tool == "node_management"
	is_string(args.operation)
} else := concat("-", ["rollout", lower(generic_tokens[1])]) if {
	generic_tokens[0] == "rollout"
	is_string(generic_tokens[1])
} else := concat("-", ["cluster-info", lower(generic_tokens[1])]) if {
	# cluster-info dump reads every object of kube-system (and more) and can write files: not a read
	generic_tokens[0] == "cluster-info"
	is_string(generic_tokens[1])
} else := concat(" ", ["kubectl", w]) if {
	# no verb of the pack's: "not recognized" (a plugin's name, see not_kubectl_commands)
	tool == "kubectl_generic"
	w := generic_tokens[0]
	w in not_kubectl_commands
} else := generic_tokens[0] if {
	# kubectl's commands are lower case and matched as spelled: `kubectl GET` runs a plugin named
	# kubectl-GET, so a word in other case is no verb the pack knows ("not recognized")
	tool == "kubectl_generic"
	is_string(generic_tokens[0])
}

# The verb's class, computed once per decision: read, write, exec or unknown.
verb_kind := "read" if {
	verb in read_verbs
} else := "write" if {
	verb in write_verbs
} else := "exec" if {
	verb == "exec"
} else := "read" if {
	verb in go_read_verbs
	fixed_verbs[tool] == verb
} else := "unknown" if {
	verb
}

allow if {
	verb_kind == "read"
	applies
}

allow if {
	verb_kind == "write"
	applies
	not read_only
}

allow if {
	verb_kind == "exec"
	applies
	exec_enabled
}

# At the list phase a tool whose verb depends on its arguments is shown when some call could pass.
allow if {
	input.phase == "list"
	tool in argument_verb_tools
	applies
	not listing_denied
}

listing_denied if {
	tool in write_only_tools
	read_only
}

deny contains sprintf("Operation '%s' is not allowed in read-only mode", [verb]) if {
	verb_kind == "write"
	applies
	read_only
}

deny contains sprintf("Operation '%s' is not allowed in read-only mode", [tool]) if {
	input.phase == "list"
	applies
	listing_denied
}

deny contains "Operation 'exec' is disabled (set data.warden.kubernetes.allow_exec to true to enable it)" if {
	verb_kind == "exec"
	applies
	not exec_enabled
}

deny contains sprintf("Operation '%s' is not recognized: denied", [verb]) if {
	verb_kind == "unknown"
	applies
}

deny contains sprintf("Tool '%s' is not recognized by the kubernetes pack: denied", [input.tool.name]) if {
	input.tool
	not known_tool
	applies
}

deny contains sprintf("Operation of tool '%s' could not be determined from its arguments: denied", [input.tool.name]) if {
	tool in argument_verb_tools
	input.phase != "list"
	not verb
	applies
}

# Client-to-server protocol requests allowed without a tool (authz.rego), including follow-ups on
# the client's own tasks (tasks/*). Server-to-client requests: server_requests.rego.
open_methods := {
	"initialize", "ping", "tools/list", "prompts/list", "prompts/get", "resources/list",
	"resources/templates/list", "resources/read", "completion/complete", "logging/setLevel",
	"notifications/initialized", "notifications/cancelled", "notifications/progress",
	"notifications/roots/list_changed", "tasks/get", "tasks/result", "tasks/list", "tasks/cancel",
	"notifications/tasks/status",
}
