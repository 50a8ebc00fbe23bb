package mcp.packs.kubernetes_scope_test

import rego.v1

call(name, arguments) := {
	"phase": "request",
	"method": "tools/call",
	"client": {"id": "sre-bot", "name": "sre-bot", "auth": "api_key", "roles": ["operator"], "claims": {}},
	"session": {"id": "s1", "transport": "stdio"},
	"backend": {"name": "k8s", "transport": "stdio"},
	"tool": {"name": name, "backend_name": name, "annotations": {}},
	"arguments": arguments,
}

# writes on, namespaces restricted to default
writer := {"read_only": false, "allowed_namespaces": ["default"]}

crb := "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: pwn\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n- kind: ServiceAccount\n  name: default\n  namespace: default\n"

cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: b\n"

deny_of(name, arguments) := d if {
	d := data.mcp.authz.deny with input as call(name, arguments) with data.warden.kubernetes as writer
}

# A cluster-scoped object applied "in" default escapes the namespace restriction: denied.
test_cluster_scoped_manifest_denied if {
	"Manifest: kind ClusterRoleBinding is not a namespaced kind: denied while namespaces are restricted" in deny_of("kubectl_apply", {"manifest": crb, "namespace": "default"})
	# behind a namespaced document, in a List, in JSON
	"Manifest: kind ClusterRoleBinding is not a namespaced kind: denied while namespaces are restricted" in deny_of("kubectl_apply", {"manifest": concat("---\n", [cm, crb])})
	"Manifest: kind ClusterRoleBinding is not a namespaced kind: denied while namespaces are restricted" in deny_of("kubectl_create", {"manifest": json.marshal({"kind": "List", "items": [{"kind": "ConfigMap"}, {"kind": "ClusterRoleBinding"}]})})
	"Manifest: namespace kube-system is not allowed: denied while namespaces are restricted" in deny_of("kubectl_apply", {"manifest": "kind: Secret\nmetadata:\n  name: x\n  namespace: kube-system\n"})
	"Manifest: a document is not valid YAML: denied while namespaces are restricted" in deny_of("kubectl_apply", {"manifest": "kind: [Pod\n"})
	# a namespaced one is allowed
	count(deny_of("kubectl_apply", {"manifest": concat("---\n", [cm, cm]), "namespace": "default"})) == 0
	data.mcp.authz.allow with input as call("kubectl_apply", {"manifest": cm}) with data.warden.kubernetes as writer
}

test_cluster_scoped_resource_types_denied if {
	"Tool 'kubectl_create': its resourceType is not a namespaced kind: denied while namespaces are restricted" in deny_of("kubectl_create", {"resourceType": "namespace", "name": "x"})
	"Tool 'kubectl_delete': its resourceType is not a namespaced kind: denied while namespaces are restricted" in deny_of("kubectl_delete", {"resourceType": "clusterrolebinding", "name": "x"})
	"Tool 'kubectl_patch': its resourceType is not a namespaced kind: denied while namespaces are restricted" in deny_of("kubectl_patch", {"resourceType": "nodes", "name": "n1", "patchData": {}})
	count(deny_of("kubectl_scale", {"resourceType": "deployment", "name": "web", "replicas": 2})) == 0
	count(deny_of("kubectl_delete", {"resourceType": "deployments.apps", "name": "web"})) == 0
}

test_unscoped_writes_denied if {
	"Tool 'install_helm_chart' may change objects outside the allowed namespaces (or cluster-wide): denied while namespaces are restricted" in deny_of("install_helm_chart", {"name": "x", "chart": "y", "namespace": "default"})
	"Tool 'node_management' may change objects outside the allowed namespaces (or cluster-wide): denied while namespaces are restricted" in deny_of("node_management", {"operation": "drain", "nodeName": "n1"})
	"Tool 'kubectl_generic' may change objects outside the allowed namespaces (or cluster-wide): denied while namespaces are restricted" in deny_of("kubectl_generic", {"command": "create", "args": ["clusterrolebinding", "pwn", "--clusterrole=cluster-admin"]})
	# without restricted namespaces these are the deployment's to allow
	count(data.mcp.authz.deny) == 0 with input as call("install_helm_chart", {"name": "x", "chart": "y"}) with data.warden.kubernetes as {"read_only": false}
}

test_host_files_denied if {
	"Argument 'filename' names a file on the server's host: denied" in deny_of("kubectl_apply", {"filename": "/etc/kubernetes/manifests/x.yaml"})
	"Argument 'fromFile' names a file on the server's host: denied" in data.mcp.authz.deny with input as call("kubectl_create", {"resourceType": "configmap", "name": "x", "fromFile": ["/etc/shadow"]}) with data.warden.kubernetes as {"read_only": false}
	"Argument 'patchFile' names a file on the server's host: denied" in deny_of("kubectl_patch", {"resourceType": "deployment", "name": "web", "patchFile": "/etc/passwd"})
}
