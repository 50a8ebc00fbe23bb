# kubernetes-mcp-server (npm kubernetes-mcp-server: the Go server of github.com/containers/
# kubernetes-mcp-server; its tools/list of v0.0.66, toolsets core, config and helm, is in
# test/fixtures/kubernetes-mcp-server/). Same package as kubernetes.rego, whose fixed_verbs gives
# each tool its verb; its other toolsets (kiali, kubevirt, tekton, kcp, ...) are not recognized:
# denied, and hidden from tools/list.
#
# Namespaces. The server reads `namespace` when it is a string; without one (absent, or not a
# string) a tool works either in every namespace or in the server's configured namespace (its
# kubeconfig context's, "default" only when that names none), which the pack cannot know: while
# namespaces are restricted, the first is denied as --all-namespaces is, the second with its own
# reason (give the namespace). An empty string is judged as the namespace "" (namespaces.rego: not
# allowed unless listed), though the server reads it as none.
#   every namespace without one:   resources_list, events_list, helm_list, pods_top (all_namespaces
#                                  defaults to true; only all_namespaces: false means the configured
#                                  namespace)
#   every namespace, always:       pods_list, nodes_log (a node's /var/log: every pod's logs),
#                                  nodes_stats_summary (every pod's usage); also helm_list with
#                                  all_namespaces (any value but false: it then ignores namespace).
#                                  The first three are hidden while namespaces are restricted.
#   the configured namespace:      pods_get, pods_log, pods_delete, pods_exec, pods_run,
#                                  resources_get, resources_delete, resources_scale, helm_install,
#                                  helm_uninstall (and pods_list_in_namespace, which requires one)
#   none (cluster-wide reads):     namespaces_list, projects_list, nodes_top,
#                                  configuration_contexts_list, configuration_view
# Kinds. resources_* name a kind by apiVersion and kind; reading Secrets (kind Secret or Secrets in
# any group but a custom one) needs allow_secrets, as kubectl_get's does (guards.rego). Writes
# while namespaces are restricted (scope.rego): resources_delete and resources_scale with a scale
# must name a namespaced kind of Kubernetes' own API in its own group, or a listed custom resource
# (custom_resources.rego); resources_create_or_update's `resource` is read as a manifest (every
# document judged as it is, an `items` field or not; YAML that go-yaml reads otherwise denied,
# scope.rego; an object without metadata.namespace goes to the configured namespace: denied); helm_install and helm_uninstall touch what their chart holds: denied (and
# hidden).
# configuration_view prints the server's kubeconfig with its credentials (tokens, client keys),
# minified or not: denied, and hidden, unless allow_secrets is true.
package mcp.packs.kubernetes

import rego.v1

# Without a namespace, these work in every namespace.
go_all_when_unnamespaced := {"resources_list", "events_list", "helm_list"}

# These always do.
go_all_namespaces_tools := {"pods_list", "nodes_log", "nodes_stats_summary"}

# Without a namespace, these work in the server's configured namespace.
go_configured_when_unnamespaced := {
	"pods_get", "pods_log", "pods_delete", "pods_exec", "pods_run", "pods_list_in_namespace",
	"resources_get", "resources_delete", "resources_scale", "helm_install", "helm_uninstall",
}

# (namespaces.rego: all_namespaces)
go_all_namespaces if tool in go_all_namespaces_tools

go_all_namespaces if {
	tool in go_all_when_unnamespaced
	not is_string(args.namespace)
}

go_all_namespaces if {
	tool == "helm_list"
	args.all_namespaces != false # (undefined when not given)
}

go_all_namespaces if {
	tool == "pods_top"
	not is_string(args.namespace)
	not args.all_namespaces == false
}

go_configured_namespace if {
	tool in go_configured_when_unnamespaced
	not is_string(args.namespace)
}

go_configured_namespace if {
	tool == "pods_top"
	not is_string(args.namespace)
	args.all_namespaces == false
}

deny contains sprintf("Tool '%s' without a namespace works in the server's configured namespace, which the pack cannot check: denied while namespaces are restricted (allowed: %s; give namespace)", [tool, allowed_text]) if {
	go_configured_namespace
	restricted
	input.phase == "request"
	applies
}

# Listed, these would be denied for every argument while namespaces are restricted: hidden.
deny contains sprintf("Tool '%s' reads every namespace: denied while namespaces are restricted (allowed: %s)", [tool, allowed_text]) if {
	input.phase == "list"
	tool in go_all_namespaces_tools
	restricted
	applies
}

# --- Kinds (apiVersion + kind) ----------------------------------------------------------------

go_kind_tools := {"resources_list", "resources_get", "resources_delete", "resources_scale"}

# The group of an apiVersion "<group>/<version>" ("v1": the core group, "").
api_group(api_version) := "" if {
	not contains(api_version, "/")
} else := split(api_version, "/")[0]

go_custom_group_kind if {
	is_string(args.apiVersion)
	custom_group(api_group(args.apiVersion))
}

# (guards.rego: a read of Secrets needs allow_secrets; the kind as written in any case, the
# server's mapper may not be the only reader of it)
reads_secrets if {
	tool in go_kind_tools
	is_string(args.kind)
	lower(args.kind) in {"secret", "secrets"}
	not go_custom_group_kind
}

go_typed_write_kind if {
	tool in go_kind_tools
	verb_kind == "write"
}

go_namespaced_kind if builtin_object(args, namespaced_kind_groups)

go_namespaced_kind if custom_resource_object(args)

deny contains sprintf("Tool '%s': kind %v of apiVersion %v is not a namespaced kind of Kubernetes' own API (nor a listed custom resource): denied while namespaces are restricted", [tool, object.get(args, "kind", null), object.get(args, "apiVersion", null)]) if {
	go_typed_write_kind
	not go_namespaced_kind
	scoped_write
}

# resources_create_or_update: an object without metadata.namespace (or with null) goes to the
# server's configured namespace (scope.rego reads its `resource` as a manifest).
manifest_problems contains sprintf("kind %v without metadata.namespace goes to the server's configured namespace, which the pack cannot check", [object.get(obj, "kind", null)]) if {
	tool == "resources_create_or_update"
	some obj in manifest_objects
	namespaced_object(obj) # (any other is denied as it is: scope.rego)
	not manifest_namespace_given(obj)
}

# (a namespace that is not a string, or "", is not allowed: scope.rego)
manifest_namespace_given(obj) if {
	meta := object.get(obj, "metadata", {})
	is_object(meta)
	object.get(meta, "namespace", null) != null
}

# --- configuration_view -----------------------------------------------------------------------

deny contains "Reading the kubeconfig is not allowed: configuration_view shows the server's credentials (set data.warden.kubernetes.allow_secrets to true to allow it)" if {
	tool == "configuration_view"
	applies
	not secrets_allowed
}
