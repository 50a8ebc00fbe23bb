package mcp.packs.kubernetes_go_test

import rego.v1

# Tools of kubernetes-mcp-server (go_server.rego), with the names and arguments of its v0.0.66
# tools/list (test/fixtures/kubernetes-mcp-server/tools-v0.0.66.json).

call(name, arguments) := {
	"phase": "request",
	"method": "tools/call",
	"client": {"id": "sre-bot", "name": "sre-bot", "auth": "api_key", "roles": ["viewer"], "claims": {}},
	"session": {"id": "s1", "transport": "stdio"},
	"backend": {"name": "k8s", "transport": "stdio"},
	"tool": {"name": name, "backend_name": name, "annotations": {}},
	"arguments": arguments,
}

listed(name) := object.union(call(name, {}), {"phase": "list", "method": "tools/list", "arguments": null})

restricted := {"allowed_namespaces": ["default", "monitoring"]}

writer := {"read_only": false, "allowed_namespaces": ["default"]}

deny_of(name, arguments, settings) := d if {
	d := data.mcp.authz.deny with input as call(name, arguments) with data.warden.kubernetes as settings
}

allowed(name, arguments, settings) if {
	data.mcp.authz.allow with input as call(name, arguments) with data.warden.kubernetes as settings
	count(deny_of(name, arguments, settings)) == 0
}

visible(name, settings) if {
	data.mcp.authz.allow with input as listed(name) with data.warden.kubernetes as settings
	count(data.mcp.authz.deny) == 0 with input as listed(name) with data.warden.kubernetes as settings
}

read_tools := {
	"pods_list", "pods_list_in_namespace", "pods_get", "pods_log", "pods_top", "resources_list",
	"resources_get", "resources_scale", "namespaces_list", "projects_list", "events_list", "nodes_top",
	"nodes_log", "nodes_stats_summary", "configuration_contexts_list", "helm_list",
}

write_tools := {"pods_delete", "pods_run", "resources_delete", "resources_create_or_update", "helm_install", "helm_uninstall"}

test_read_only_lists_reads_only if {
	every name in read_tools {
		visible(name, {})
	}
	every name in write_tools | {"pods_exec", "configuration_view"} {
		not visible(name, {})
	}
}

test_reads_allowed if {
	allowed("pods_get", {"name": "web", "namespace": "default"}, {})
	allowed("pods_get", {"name": "web"}, {}) # namespaces not restricted: the configured one is fine
	allowed("pods_list", {}, {})
	allowed("resources_list", {"apiVersion": "apps/v1", "kind": "Deployment"}, {})
	allowed("resources_get", {"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "namespace": "default"}, {})
	allowed("resources_scale", {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "default"}, {})
	allowed("helm_list", {"all_namespaces": true}, {})
	allowed("configuration_contexts_list", {}, {})
	allowed("nodes_log", {"name": "n1", "query": "kubelet"}, {})
}

test_writes_denied_read_only if {
	deny_of("pods_delete", {"name": "web", "namespace": "default"}, {}) == {"Operation 'delete' is not allowed in read-only mode"}
	deny_of("resources_delete", {"apiVersion": "v1", "kind": "Pod", "name": "web"}, {}) == {"Operation 'delete' is not allowed in read-only mode"}
	deny_of("resources_create_or_update", {"resource": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"}, {}) == {"Operation 'apply' is not allowed in read-only mode"}
	deny_of("pods_run", {"image": "nginx"}, {}) == {"Operation 'run' is not allowed in read-only mode"}
	deny_of("helm_install", {"chart": "x"}, {}) == {"Operation 'helm-install' is not allowed in read-only mode"}
	deny_of("helm_uninstall", {"name": "x"}, {}) == {"Operation 'helm-uninstall' is not allowed in read-only mode"}
	# resources_scale scales when `scale` is there at all (null too), else reads
	deny_of("resources_scale", {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "scale": 0}, {}) == {"Operation 'scale' is not allowed in read-only mode"}
	deny_of("resources_scale", {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "scale": null}, {}) == {"Operation 'scale' is not allowed in read-only mode"}
}

test_exec_off_unless_enabled if {
	deny_of("pods_exec", {"name": "web", "namespace": "default", "command": ["id"]}, {}) == {"Operation 'exec' is disabled (set data.warden.kubernetes.allow_exec to true to enable it)"}
	allowed("pods_exec", {"name": "web", "namespace": "default", "command": ["id"]}, {"allow_exec": true})
	visible("pods_exec", {"allow_exec": true})
}

test_writes_allowed_when_read_only_off if {
	allowed("pods_delete", {"name": "web"}, {"read_only": false})
	allowed("helm_install", {"chart": "x"}, {"read_only": false})
	every name in write_tools {
		visible(name, {"read_only": false})
	}
}

test_other_toolsets_not_recognized if {
	deny_of("vm_create", {"namespace": "default"}, {}) == {"Tool 'vm_create' is not recognized by the kubernetes pack: denied"}
	not visible("kiali_get_mesh_graph", {})
	not visible("tekton_pipelinerun_start", {"read_only": false})
}

# --- namespaces ---------------------------------------------------------------------------------

test_namespace_checked if {
	allowed("pods_get", {"name": "web", "namespace": "monitoring"}, restricted)
	allowed("pods_list_in_namespace", {"namespace": "default"}, restricted)
	allowed("events_list", {"namespace": "default"}, restricted)
	allowed("resources_list", {"apiVersion": "v1", "kind": "Pod", "namespace": "default"}, restricted)
	deny_of("pods_log", {"name": "web", "namespace": "kube-system"}, restricted) == {"Namespace 'kube-system' is not allowed (allowed: default, monitoring)"}
	deny_of("resources_get", {"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "namespace": "kube-system"}, restricted) == {"Namespace 'kube-system' is not allowed (allowed: default, monitoring)"}
	# "" is the namespace "" (the server reads it as none)
	"Namespace '' is not allowed (allowed: default, monitoring)" in deny_of("pods_get", {"name": "web", "namespace": ""}, restricted)
}

configured := "Tool '%s' without a namespace works in the server's configured namespace, which the pack cannot check: denied while namespaces are restricted (allowed: default, monitoring; give namespace)"

all_ns := "All namespaces (--all-namespaces) is not allowed (allowed: default, monitoring)"

test_no_namespace_configured_denied_while_restricted if {
	every name in ["pods_get", "pods_log", "pods_list_in_namespace", "resources_get", "resources_scale"] {
		deny_of(name, {"name": "web", "apiVersion": "v1", "kind": "Pod"}, restricted) == {sprintf(configured, [name])}
	}
	# a namespace that is not a string is none to the server
	deny_of("pods_get", {"name": "web", "namespace": ["default"]}, restricted) == {
		sprintf(configured, ["pods_get"]),
		"Argument 'namespace' must be a string (got array): denied",
	}
	deny_of("pods_top", {"all_namespaces": false}, restricted) == {sprintf(configured, ["pods_top"])}
}

test_no_namespace_every_namespace_denied_while_restricted if {
	deny_of("resources_list", {"apiVersion": "v1", "kind": "Pod"}, restricted) == {all_ns}
	deny_of("events_list", {}, restricted) == {all_ns}
	deny_of("helm_list", {}, restricted) == {all_ns}
	deny_of("pods_top", {}, restricted) == {all_ns}
	deny_of("pods_top", {"all_namespaces": true}, restricted) == {all_ns}
	allowed("pods_top", {"namespace": "default"}, restricted) # all_namespaces (default true) yields to a namespace
	# helm_list: all_namespaces ignores the namespace (any value but false)
	deny_of("helm_list", {"namespace": "default", "all_namespaces": true}, restricted) == {all_ns}
	deny_of("helm_list", {"namespace": "default", "all_namespaces": "yes"}, restricted) == {all_ns}
	allowed("helm_list", {"namespace": "default", "all_namespaces": false}, restricted)
	every name in ["pods_list", "nodes_log", "nodes_stats_summary"] {
		deny_of(name, {"name": "n1", "query": "kubelet"}, restricted) == {all_ns}
		not visible(name, restricted)
		visible(name, {})
	}
	# per client
	allowed("pods_list", {}, {"allowed_namespaces": ["default"], "clients": {"sre-bot": {"allowed_namespaces": ["*"]}}})
}

test_cluster_reads_not_namespaced if {
	allowed("namespaces_list", {}, restricted)
	allowed("nodes_top", {}, restricted)
	allowed("projects_list", {}, restricted)
	allowed("configuration_contexts_list", {}, restricted)
}

# --- kinds, secrets, contexts, configuration_view -------------------------------------------------

secrets := "Reading secrets is not allowed (set data.warden.kubernetes.allow_secrets to true to allow it)"

test_secrets_by_kind if {
	deny_of("resources_get", {"apiVersion": "v1", "kind": "Secret", "name": "db", "namespace": "default"}, {}) == {secrets}
	deny_of("resources_list", {"apiVersion": "v1", "kind": "Secret"}, {}) == {secrets}
	deny_of("resources_list", {"apiVersion": "v1", "kind": "secrets"}, {}) == {secrets}
	deny_of("resources_list", {"apiVersion": "apps/v1", "kind": "Secret"}, {}) == {secrets}
	deny_of("resources_list", {"apiVersion": 1, "kind": "Secret"}, {}) == {secrets}
	allowed("resources_list", {"apiVersion": "evil.example.com/v1", "kind": "Secret"}, {})
	allowed("resources_get", {"apiVersion": "v1", "kind": "Secret", "name": "db"}, {"allow_secrets": true})
}

test_configuration_view_needs_allow_secrets if {
	view := "Reading the kubeconfig is not allowed: configuration_view shows the server's credentials (set data.warden.kubernetes.allow_secrets to true to allow it)"
	deny_of("configuration_view", {"minified": true}, {}) == {view}
	not visible("configuration_view", {})
	allowed("configuration_view", {"minified": false}, {"allow_secrets": true})
	visible("configuration_view", {"allow_secrets": true})
}

test_contexts if {
	deny_of("pods_get", {"name": "web", "context": "prod"}, {"allowed_contexts": ["dev"]}) == {"Context 'prod' is not allowed (allowed: dev)"}
	allowed("pods_get", {"name": "web", "context": "dev"}, {"allowed_contexts": ["dev"]})
}

# --- writes while namespaces are restricted ---------------------------------------------------------

crb := "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: pwn\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n- kind: ServiceAccount\n  name: default\n  namespace: default\n"

cm_default := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: default\ndata:\n  a: b\n"

test_create_or_update_manifest if {
	allowed("resources_create_or_update", {"resource": cm_default}, writer)
	allowed("resources_create_or_update", {"resource": json.marshal(yaml.unmarshal(cm_default))}, writer)
	"Manifest: kind ClusterRoleBinding is not a namespaced kind: denied while namespaces are restricted" in deny_of("resources_create_or_update", {"resource": concat("\n---\n", [cm_default, crb])}, writer)
	deny_of("resources_create_or_update", {"resource": replace(cm_default, "default", "kube-system")}, writer) == {"Manifest: namespace kube-system is not allowed: denied while namespaces are restricted"}
	deny_of("resources_create_or_update", {"resource": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"}, writer) == {"Manifest: kind ConfigMap without metadata.namespace goes to the server's configured namespace, which the pack cannot check: denied while namespaces are restricted"}
	"Manifest: kind Role of apiVersion evil.example.com/v1 is not a namespaced kind of Kubernetes' own API (nor a listed custom resource): denied while namespaces are restricted" in deny_of("resources_create_or_update", {"resource": "apiVersion: evil.example.com/v1\nkind: Role\nmetadata: {name: r, namespace: default}\n"}, writer)
	deny_of("resources_create_or_update", {"resource": {"kind": "ConfigMap"}}, writer) == {"Manifest: the resource argument is not a string: denied while namespaces are restricted"}
	# namespaces not restricted: any manifest
	allowed("resources_create_or_update", {"resource": crb}, {"read_only": false})
}

kind_denied := "Tool 'resources_delete': kind %v of apiVersion %v is not a namespaced kind of Kubernetes' own API (nor a listed custom resource): denied while namespaces are restricted"

test_typed_writes_by_kind if {
	allowed("resources_delete", {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "default"}, writer)
	deny_of("resources_delete", {"apiVersion": "v1", "kind": "Namespace", "name": "default", "namespace": "default"}, writer) == {sprintf(kind_denied, ["Namespace", "v1"])}
	deny_of("resources_delete", {"apiVersion": "evil.example.com/v1", "kind": "Role", "name": "r", "namespace": "default"}, writer) == {sprintf(kind_denied, ["Role", "evil.example.com/v1"])}
	deny_of("resources_delete", {"apiVersion": "v1", "kind": "pod", "name": "r", "namespace": "default"}, writer) == {sprintf(kind_denied, ["pod", "v1"])}
	# a listed custom resource is judged as a namespaced kind
	cert := {"group": "cert-manager.io", "kind": "Certificate", "plural": "certificates"}
	allowed("resources_delete", {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "name": "c", "namespace": "default"}, object.union(writer, {"namespaced_custom_resources": [cert]}))
	# resources_scale: only its write form
	"Tool 'resources_scale': kind Node of apiVersion v1 is not a namespaced kind of Kubernetes' own API (nor a listed custom resource): denied while namespaces are restricted" in deny_of("resources_scale", {"apiVersion": "v1", "kind": "Node", "name": "n", "namespace": "default", "scale": 1}, writer)
	allowed("resources_scale", {"apiVersion": "v1", "kind": "Node", "name": "n", "namespace": "default"}, writer)
	allowed("pods_run", {"image": "nginx", "namespace": "default"}, writer)
	deny_of("pods_run", {"image": "nginx"}, writer) == {"Tool 'pods_run' without a namespace works in the server's configured namespace, which the pack cannot check: denied while namespaces are restricted (allowed: default; give namespace)"}
}

test_helm_writes_hidden_while_restricted if {
	helm := "Tool 'helm_install' may change objects outside the allowed namespaces (or cluster-wide): denied while namespaces are restricted"
	helm in deny_of("helm_install", {"chart": "x", "namespace": "default"}, writer)
	not visible("helm_install", writer)
	not visible("helm_uninstall", writer)
	visible("helm_list", writer)
}
