# Pack `read-only`: lets a client read and never change anything.
#
# A tool is read-only when its annotations say readOnlyHint: true (and not destructiveHint: true),
# or when its name reads as a read verb (get, list, describe, logs, top, read, search, query,
# status, info) with no write verb in it. Write verbs (create, delete, apply, edit, scale, patch,
# replace, update, trigger, drain, cordon, stop, start, restart, submit, exec, write, remove, kill,
# destroy, purge, drop, terminate, execute, reset, ...: write_verbs) are denied with "Operation
# '<verb>' is not allowed in read-only mode", and a tool that cannot be classified is denied too
# (fail secure). Words as often nouns as verbs (run, set, post, commit, merge, change, ...:
# ambiguous_verbs) are write verbs where they come before every read verb of the name, the place of
# its operation (set_status, run_query, github_set_status), and nouns after one (get_run,
# list_commits, query_runs). Read-only is about changes, not about what a read may
# disclose: a tool that reads secrets is a read (server-everything's get-env returns the server's
# whole environment). Refuse such tools by name with deny_tools. An `operation` or `action` argument
# naming a write (kubectl_context's operation "set") is denied too, whatever the tool's annotations
# say (argument_write_verbs). Protocol methods (initialize, ping, the list methods,
# prompts/get, resources/read, ...) are reads and always allowed.
#
# Settings (all optional) in data.warden.read_only:
#   backends: [names]           judge only tools of these backends (default: every backend)
#   trust_annotations: false    ignore readOnlyHint and classify by name alone (default: true;
#                               any value but true turns trust off)
#   deny_tools: [names]         refuse these tools (their client-visible or backend names) whatever
#                               their annotations or names say; hidden from tools/list too
#                               (not a list: every tool is refused)
#   deny_server_requests: [..]  refuse these server-to-client requests (sampling/createMessage,
#                               elicitation/create, roots/list, ...; "*": all), which are
#                               otherwise allowed (server_requests.rego)
package mcp.packs.read_only

import rego.v1

default settings := {}

settings := data.warden.read_only

read_verbs := {"get", "list", "describe", "logs", "top", "read", "search", "query", "status", "info"}

# A name with a read verb is a read only when none of these is among its words ("list_and_destroy"
# is not a read). Words that are as often nouns are ambiguous_verbs, below.
write_verbs := {
	"create", "delete", "apply", "edit", "scale", "patch", "replace", "update", "trigger", "drain",
	"cordon", "stop", "start", "restart", "submit", "exec", "write", "remove", "kill", "destroy",
	"purge", "drop", "terminate", "uninstall", "install", "execute", "reset", "insert", "upsert",
	"assign", "grant", "revoke", "rename", "upload", "deploy", "rollback", "shutdown", "reboot",
	"truncate", "wipe", "erase", "unset", "modify", "mutate", "publish", "invoke", "enable",
	"disable", "pause", "resume", "suspend", "evict", "approve", "rm", "mv", "send", "move", "add",
	"clear", "cancel", "overwrite",
}

# Client-to-server requests that read protocol state or content, or follow up on the client's own
# tasks (tasks/*); tools/call is judged per tool below. Server-to-client requests: server_requests.rego.
open_methods := {
	"initialize", "ping", "tools/list", "prompts/list", "prompts/get", "resources/list",
	"resources/templates/list", "resources/read", "resources/subscribe", "resources/unsubscribe",
	"completion/complete", "logging/setLevel", "notifications/initialized",
	"notifications/cancelled", "notifications/progress", "notifications/roots/list_changed",
	"tasks/get", "tasks/result", "tasks/list", "tasks/cancel", "notifications/tasks/status",
}

applies if not settings.backends

applies if input.backend.name in settings.backends

# Trusted when the setting is absent or true; any other value ("false", no, null) turns trust off
# (fail closed: a misspelt false must not leave it on).
trust_annotations if not has_trust_setting

trust_annotations if settings.trust_annotations == true

has_trust_setting if {
	_ := settings.trust_annotations
}

# Verbs that are as often nouns: a write verb where it comes before every read verb of the name
# (set_status, run_query, commitChanges), a noun after one (get_run, list_commits, getPostComments).
ambiguous_verbs := {
	"run", "set", "post", "put", "commit", "merge", "change", "push", "sync", "restore", "import",
	"save", "lock", "unlock", "close", "schedule", "mark", "tag", "label", "comment", "reply",
	"attach", "detach", "mount", "unmount", "fork", "transfer", "rerun", "retry", "refresh", "rotate",
	"renew", "reload", "release", "promote", "share", "copy", "archive", "restart", "reopen",
}

tool_name := object.get(input.tool, "backend_name", input.tool.name)

# Lower-case words of the tool's own name, in order: "get-annotated-message" -> [get, annotated,
# message], "readFile" -> [read, file], "kubectl_get" -> [kubectl, get].
name_word_list := [lower(word) |
	spaced := regex.replace(tool_name, `([a-z0-9])([A-Z])`, "${1}_${2}")
	some word in regex.split(`[^A-Za-z0-9]+`, spaced)
	word != ""
]

name_words := {w | some w in name_word_list}

# An ambiguous verb with no read verb before it: the name's operation.
operative_ambiguous contains w if {
	some i, w in name_word_list
	w in ambiguous_verbs
	not read_verb_before(i)
}

read_verb_before(i) if {
	some j, r in name_word_list
	j < i
	r in read_verbs
}

write_words := (name_words & write_verbs) | operative_ambiguous

annotated_read_only if {
	trust_annotations
	input.tool.annotations.readOnlyHint == true
	not input.tool.annotations.destructiveHint == true
}

annotated_writable if input.tool.annotations.readOnlyHint == false

annotated_writable if input.tool.annotations.destructiveHint == true

read_tool if annotated_read_only

read_tool if {
	not annotated_writable
	count(write_words) == 0
	count(name_words & read_verbs) > 0
}

allow if {
	not input.tool
	not server_request
	input.method in open_methods
}

allow if {
	applies
	input.tool
	read_tool
	not listed_as_denied
}

deny contains sprintf("Operation '%s' is not allowed in read-only mode (tool '%s')", [verb, input.tool.name]) if {
	applies
	input.tool
	not annotated_read_only
	some verb in write_words
}

deny contains msg if {
	applies
	input.tool
	not read_tool
	count(write_words) == 0
	msg := sprintf("Tool '%s' is not known to be read-only (no readOnlyHint annotation and no read verb in its name): denied in read-only mode", [input.tool.name])
}

deny contains sprintf("Tool '%s' is denied by this deployment (read_only.deny_tools)", [input.tool.name]) if {
	applies
	input.tool
	listed_as_denied
}

listed_as_denied if input.tool.name in object.get(settings, "deny_tools", [])

# A tool whose operation an argument chooses changes something when that argument names a write,
# whatever its annotations say of the tool: mcp-server-kubernetes' kubectl_context is annotated
# readOnlyHint: true, and its operation "set" runs `kubectl config use-context`, written to the
# server's kubeconfig (every later call, and the operator's own kubectl, then go to that context).
# So an `operation` or `action` argument is read as a name is: a write verb in it, or an ambiguous
# verb before every read verb, denies the call. (one rule per argument, a constant key each)
operation_argument contains ["operation", v] if v := input.arguments.operation

operation_argument contains ["action", v] if v := input.arguments.action

argument_write_verbs contains [key, w] if {
	input.phase == "request"
	some [key, v] in operation_argument
	is_string(v)
	words := word_list(v)
	some i, w in words
	written_verb(words, i, w)
}

written_verb(_, _, w) if w in write_verbs

written_verb(words, i, w) if {
	w in ambiguous_verbs
	not read_word_before(words, i)
}

read_word_before(words, i) if {
	some j, r in words
	j < i
	r in read_verbs
}

# Lower-case words of a name or an argument's text, in order (as name_word_list).
word_list(text) := [lower(word) |
	spaced := regex.replace(text, `([a-z0-9])([A-Z])`, "${1}_${2}")
	some word in regex.split(`[^A-Za-z0-9]+`, spaced)
	word != ""
]

deny contains sprintf("Operation '%s' is not allowed in read-only mode (tool '%s', argument '%s')", [verb, input.tool.name, key]) if {
	applies
	input.tool
	some [key, verb] in argument_write_verbs
}

# deny_tools that is not a list (one name written as a string) refuses every tool (fail closed).
listed_as_denied if {
	d := settings.deny_tools
	not is_array(d)
}

listed_as_denied if tool_name in object.get(settings, "deny_tools", [])
