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

# Custom resources: denied unless listed in namespaced_custom_resources, then judged as namespaced.
cert := "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: web\nspec:\n  secretName: web-tls\n"

issuer := "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: le\n"

listed := [{"group": "cert-manager.io", "kind": "Certificate", "plural": "certificates"}]

custom_writer := object.union(writer, {"namespaced_custom_resources": listed})

custom_deny(name, arguments) := d if {
	d := data.mcp.authz.deny with input as call(name, arguments) with data.warden.kubernetes as custom_writer
}

test_custom_resources_unlisted_denied if {
	"Manifest: kind Certificate is not a namespaced kind: denied while namespaces are restricted" in deny_of("kubectl_apply", {"manifest": cert})
	"Tool 'kubectl_delete': its resourceType is not a namespaced kind: denied while namespaces are restricted" in deny_of("kubectl_delete", {"resourceType": "certificates.cert-manager.io", "name": "web"})
}

test_custom_resources_listed_allowed if {
	count(custom_deny("kubectl_apply", {"manifest": cert, "namespace": "default"})) == 0
	data.mcp.authz.allow with input as call("kubectl_apply", {"manifest": cert}) with data.warden.kubernetes as custom_writer
	count(custom_deny("kubectl_create", {"manifest": json.marshal({"kind": "CertificateList", "apiVersion": "cert-manager.io/v1", "items": [json.unmarshal(json.marshal(yaml.unmarshal(cert)))]})})) == 0
	count(custom_deny("kubectl_apply", {"manifest": concat("---\n", [cm, cert])})) == 0
	every t in ["certificates.cert-manager.io", "Certificate.cert-manager.io", "certificates.v1.cert-manager.io", "certificate.v1alpha2.cert-manager.io", "certificates.cert-manager.io/web", "deployments,certificates.cert-manager.io"] {
		count(custom_deny("kubectl_delete", {"resourceType": t, "name": "web"})) == 0
	}
	count(custom_deny("kubectl_patch", {"resourceType": "certificates.cert-manager.io", "name": "web", "patchData": {}, "namespace": "default"})) == 0
}

test_custom_resources_listed_still_namespaced if {
	# another namespace, in the argument or in the manifest
	"Namespace 'kube-system' is not allowed (allowed: default)" in custom_deny("kubectl_delete", {"resourceType": "certificates.cert-manager.io", "name": "web", "namespace": "kube-system"})
	"Manifest: namespace kube-system is not allowed: denied while namespaces are restricted" in custom_deny("kubectl_apply", {"manifest": replace(cert, "  name: web\n", "  name: web\n  namespace: kube-system\n")})
	"Namespace 'kube-system' is not allowed (allowed: default)" in custom_deny("kubectl_apply", {"manifest": cert, "namespace": "kube-system"})
}

test_custom_resources_only_what_is_listed if {
	# an unlisted kind of the same group, the listed kind in another group or with no group
	"Manifest: kind ClusterIssuer is not a namespaced kind: denied while namespaces are restricted" in custom_deny("kubectl_apply", {"manifest": issuer})
	"Manifest: kind Certificate is not a namespaced kind: denied while namespaces are restricted" in custom_deny("kubectl_apply", {"manifest": replace(cert, "cert-manager.io/v1", "evil.example.com/v1")})
	"Manifest: kind Certificate is not a namespaced kind: denied while namespaces are restricted" in custom_deny("kubectl_apply", {"manifest": replace(cert, "cert-manager.io/v1", "v1")})
	"Manifest: kind Certificate is not a namespaced kind: denied while namespaces are restricted" in custom_deny("kubectl_apply", {"manifest": json.marshal({"kind": "Certificate", "apiVersion": ["cert-manager.io/v1"]})})
	every t in ["certificates", "cert", "clusterissuers.cert-manager.io", "certificates.evil.example.com", "certificates.cert-manager.io.evil.example.com", "certificates.x.cert-manager.io", "certificates.cert-manager"] {
		"Tool 'kubectl_delete': its resourceType is not a namespaced kind: denied while namespaces are restricted" in custom_deny("kubectl_delete", {"resourceType": t, "name": "web"})
	}
}

malformed := "data.warden.kubernetes.namespaced_custom_resources must be a list of {group, kind, plural} (strings; group a custom API group): writes denied while namespaces are restricted"

test_custom_resources_wrong_type_fails_closed if {
	every bad in [
		"certificates.cert-manager.io",
		{"group": "cert-manager.io", "kind": "Certificate", "plural": "certificates"},
		[{"group": "cert-manager.io", "kind": "Certificate"}],
		[{"group": "cert-manager.io", "kind": ["Certificate"], "plural": "certificates"}],
		[{"group": "", "kind": "Pod", "plural": "pods"}],
		[{"group": "apps", "kind": "Deployment", "plural": "deployments"}],
		[{"group": "rbac.authorization.k8s.io", "kind": "ClusterRoleBinding", "plural": "clusterrolebindings"}],
		[listed[0], "Issuer"],
		null,
	] {
		d := data.mcp.authz.deny with input as call("kubectl_apply", {"manifest": cert}) with data.warden.kubernetes as object.union(writer, {"namespaced_custom_resources": bad})
		malformed in d
	}
	# every scoped write, not only custom ones
	malformed in data.mcp.authz.deny with input as call("kubectl_apply", {"manifest": cm}) with data.warden.kubernetes as object.union(writer, {"namespaced_custom_resources": "x"})
	# reads are not scoped writes
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_get", {"resourceType": "pods"}) with data.warden.kubernetes as object.union(writer, {"namespaced_custom_resources": "x"})
}

test_custom_resources_without_restriction if {
	# namespaces not restricted: the setting plays no part (nor does its shape)
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_apply", {"manifest": issuer}) with data.warden.kubernetes as {"read_only": false, "namespaced_custom_resources": "x"}
}

list_item(name) := {
	"phase": "list",
	"method": "tools/list",
	"client": {"id": "sre-bot", "name": "sre-bot", "auth": "api_key", "roles": ["operator"], "claims": {}},
	"session": {"id": "s1", "transport": "stdio"},
	"backend": {"name": "k8s", "transport": "stdio"},
	"tool": {"name": name, "backend_name": name, "annotations": {}},
}

# Tools whose every write is denied while namespaces are restricted are not listed then.
test_unscoped_write_tools_hidden_while_restricted if {
	every name in ["install_helm_chart", "upgrade_helm_chart", "uninstall_helm_chart", "node_management"] {
		sprintf("Tool '%s' may change objects outside the allowed namespaces (or cluster-wide): denied while namespaces are restricted", [name]) in data.mcp.authz.deny with input as list_item(name) with data.warden.kubernetes as writer
	}
	# kubectl_generic still reads, and the others are listed without restricted namespaces
	data.mcp.authz.allow with input as list_item("kubectl_generic") with data.warden.kubernetes as writer
	count(data.mcp.authz.deny) == 0 with input as list_item("kubectl_generic") with data.warden.kubernetes as writer
	data.mcp.authz.allow with input as list_item("install_helm_chart") with data.warden.kubernetes as {"read_only": false}
	count(data.mcp.authz.deny) == 0 with input as list_item("install_helm_chart") with data.warden.kubernetes as {"read_only": false}
	count(data.mcp.authz.deny) == 0 with input as list_item("kubectl_apply") with data.warden.kubernetes as writer
}

# A document that is not an object (a YAML scalar, or a List item that is one) is denied for that,
# not by a builtin error (which, with builtinErrors not strict, left the manifest allowed).
test_scalar_documents_denied if {
	every manifest in ["default", "42", concat("---\n", [cm, "- a\n- b\n"]), json.marshal({"kind": "List", "items": ["x"]})] {
		"Manifest: a document is not an object: denied while namespaces are restricted" in deny_of("kubectl_apply", {"manifest": manifest})
	}
}

# A built-in name is Kubernetes' own only in its own group: pods.evil.example.com (a CRD's, maybe
# cluster-scoped) and kind Role of evil.example.com/v1 are custom resources, denied unless listed.
not_namespaced_type := "Tool 'kubectl_delete': its resourceType is not a namespaced kind: denied while namespaces are restricted"

test_builtin_names_of_other_groups_denied if {
	every t in [
		"pods.evil.example.com", "roles.evil.example.com", "Deployments.Evil.Example.com", "rolebindings.v1.evil.example.com",
		"pods.evil.example.com/web", "configmaps,pods.evil.example.com",
		# a built-in name in a group that does not serve it, or that kubectl matches by prefix
		"pods.apps", "deployments.app", "deployments.batch", "roles.rbac", "pods.v1", "deployments.v9.apps", "deployments.v1beta1.apps",
		# spellings the pack cannot classify
		"pods.v1.evil", "pods...", "pods.apps.", ".pods", "po ds", "pods.evil.example.com.",
	] {
		not_namespaced_type in deny_of("kubectl_delete", {"resourceType": t, "name": "web"})
	}
}

test_builtin_names_in_their_groups_allowed if {
	every t in [
		"pods", "POD", " pods ", "pods.", "pods.v1.", "pods..", "Pod.v1./web", "deployments.apps", "DEPLOYMENTS.APPS",
		"deployments.v1.apps", "deployments..apps", "deploy.apps", "roles.rbac.authorization.k8s.io",
		"rolebinding.v1.rbac.authorization.k8s.io", "hpa.v2.autoscaling", "cronjobs.batch", "events.events.k8s.io",
		"events.", "pdb.policy", "ingresses.networking.k8s.io", "leases.v1.coordination.k8s.io", "configmaps,deployments.apps",
	] {
		count(deny_of("kubectl_delete", {"resourceType": t, "name": "web"})) == 0
	}
}

evil_role := "apiVersion: evil.example.com/v1\nkind: Role\nmetadata:\n  name: web\n"

test_builtin_kinds_of_other_groups_denied if {
	every m in [
		{"kind": "Role", "apiVersion": "evil.example.com/v1"},
		{"kind": "Pod", "apiVersion": "evil.example.com/v1"},
		{"kind": "Pod", "apiVersion": "apps/v1"},
		{"kind": "Deployment", "apiVersion": "v1"},
		{"kind": "Pod", "apiVersion": "v2"},
		{"kind": "Pod", "apiVersion": "evil.example.com/v1/x"},
		{"kind": "Pod", "apiVersion": ""},
		{"kind": "Pod", "apiVersion": ["v1"]},
		{"kind": "Pod"},
	] {
		reason := sprintf("Manifest: kind Pod of apiVersion %v is not a namespaced kind of Kubernetes' own API (nor a listed custom resource): denied while namespaces are restricted", [object.get(m, "apiVersion", null)])
		expected := replace(reason, "kind Pod ", sprintf("kind %s ", [m.kind]))
		expected in deny_of("kubectl_apply", {"manifest": json.marshal(m), "namespace": "default"})
	}
	"Manifest: kind Role of apiVersion evil.example.com/v1 is not a namespaced kind of Kubernetes' own API (nor a listed custom resource): denied while namespaces are restricted" in deny_of("kubectl_apply", {"manifest": concat("---\n", [cm, evil_role])})
	# in a List too
	"Manifest: kind Role of apiVersion evil.example.com/v1 is not a namespaced kind of Kubernetes' own API (nor a listed custom resource): denied while namespaces are restricted" in deny_of("kubectl_create", {"manifest": json.marshal({"kind": "List", "apiVersion": "v1", "items": [yaml.unmarshal(cm), yaml.unmarshal(evil_role)]})})
}

test_builtin_kinds_in_their_groups_allowed if {
	every m in [
		{"kind": "Pod", "apiVersion": "v1"},
		{"kind": "Role", "apiVersion": "rbac.authorization.k8s.io/v1"},
		{"kind": "Deployment", "apiVersion": "apps/v1"},
		{"kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v2"},
		{"kind": "Event", "apiVersion": "events.k8s.io/v1"},
		{"kind": "Event", "apiVersion": "v1"},
		{"kind": "CronJob", "apiVersion": "batch/v1"},
	] {
		count(deny_of("kubectl_apply", {"manifest": json.marshal(m), "namespace": "default"})) == 0
	}
}

# Listed as a custom resource, the built-in name of another group is judged as the listed kind.
test_builtin_names_of_other_groups_listed if {
	settings := object.union(writer, {"namespaced_custom_resources": [{"group": "evil.example.com", "kind": "Role", "plural": "roles"}]})
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_delete", {"resourceType": "roles.evil.example.com", "name": "web"}) with data.warden.kubernetes as settings
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_apply", {"manifest": evil_role}) with data.warden.kubernetes as settings
	"Namespace 'kube-system' is not allowed (allowed: default)" in data.mcp.authz.deny with input as call("kubectl_delete", {"resourceType": "roles.evil.example.com", "name": "web", "namespace": "kube-system"}) with data.warden.kubernetes as settings
	# pods of that group are not listed
	not_namespaced_type in data.mcp.authz.deny with input as call("kubectl_delete", {"resourceType": "pods.evil.example.com", "name": "web"}) with data.warden.kubernetes as settings
}

# YAML that go-yaml v2 (kubectl's and kubernetes-mcp-server's reader, YAML 1.1) reads otherwise than
# the pack's YAML 1.2 reader: the object judged would not be the object written. Each of these wrote
# to kube-system (or cluster-wide) through kubernetes-mcp-server 0.0.66 before
# (test/policy-kubernetes-go-yaml.test.ts).
yaml_differential_manifests := {
	"merge key after the namespace": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n  <<: {namespace: kube-system}\n",
	"merge key changing the kind": "apiVersion: v1\nkind: ConfigMap\n<<: {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding}\nmetadata:\n  name: x\n  namespace: default\n  <<: {namespace: null}\n",
	"explicit merge key with a comment": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n  ? << # c\n  : {namespace: kube-system}\n",
	"merge key in flow style": "{apiVersion: v1, kind: ConfigMap, metadata: {name: x, namespace: default, <<: {namespace: kube-system}}}",
	"merge key of a sequence": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n  <<: [{namespace: kube-system}]\n",
	"!!merge on a quoted key": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n  !!merge \"\\x3c\\x3c\": {namespace: kube-system}\n",
	"verbatim merge tag, escaped": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n  !<tag:yaml.org,2002:mer%67e> \"\\x3c\\x3c\": {namespace: kube-system}\n",
	"LS ends a comment": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default # c\u2028  namespace: kube-system\n",
	"PS ends a comment": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default # c\u2029  namespace: kube-system\n",
	"NEL ends a comment": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default # c\u0085  namespace: kube-system\n",
	"lone CR ends a comment": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default # c\r  namespace: kube-system\n",
}

test_yaml_differentials_denied if {
	every label, manifest in yaml_differential_manifests {
		count(deny_of("kubectl_apply", {"manifest": manifest})) > 0
		count(deny_of("resources_create_or_update", {"resource": manifest})) > 0
	}
}

# ... and yaml.unmarshal (YAML 1.1 as go-yaml v2 reads it, as OPA's does) now reads them as the
# server does: not in default (a reader of YAML 1.2 read each as namespace default). A tag with
# %-escapes is refused by the reader.
test_yaml_differentials_read_as_go_yaml_reads_them if {
	every label, manifest in yaml_differential_manifests {
		read_as_go_yaml(label, manifest)
	}
}

read_as_go_yaml(label, manifest) if {
	label == "verbatim merge tag, escaped"
	not yaml.is_valid(manifest)
}

read_as_go_yaml(label, manifest) if {
	label == "merge key changing the kind"
	doc := yaml.unmarshal(manifest)
	doc.kind == "ClusterRoleBinding"
	doc.metadata.namespace == null
}

read_as_go_yaml(label, manifest) if {
	not label in {"verbatim merge tag, escaped", "merge key changing the kind"}
	yaml.unmarshal(manifest).metadata.namespace == "kube-system"
}

# `<<` of a shell heredoc or an operator, and CRLF line ends, are no such YAML: allowed.
test_yaml_heredoc_and_crlf_allowed if {
	heredoc := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\ndata:\n  s: |\n    cat <<EOF\n    cat <<-'EOF'\n    cat << \"EOF\"\n    echo $((1 << 2))\n    EOF\n"
	count(deny_of("resources_create_or_update", {"resource": heredoc})) == 0
	count(deny_of("kubectl_apply", {"manifest": heredoc})) == 0
	crlf := "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: x # c\r\n  namespace: default\r\n"
	count(deny_of("resources_create_or_update", {"resource": crlf})) == 0
}

# A namespace YAML 1.1 reads as a boolean (unquoted: false, the server's configured namespace) is
# denied even when listed: yaml.unmarshal reads it as go-yaml does, the boolean false, which is no
# listed namespace.
test_yaml11_boolean_namespace_denied if {
	manifest := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: no\n"
	d := data.mcp.authz.deny with input as call("resources_create_or_update", {"resource": manifest})
		with data.warden.kubernetes as {"read_only": false, "allowed_namespaces": ["default", "no"]}
	"Manifest: namespace false is not allowed: denied while namespaces are restricted" in d
}

# kubernetes-mcp-server applies a document as it is, an `items` field or not: a custom kind whose
# name ends in List (AccessList, cluster-scoped) is not unwrapped into its (empty) items.
test_go_server_does_not_unwrap_lists if {
	manifest := "apiVersion: example.com/v1\nkind: AccessList\nmetadata:\n  name: evil\nitems: []\n"
	"Manifest: kind AccessList is not a namespaced kind: denied while namespaces are restricted" in deny_of("resources_create_or_update", {"resource": manifest})
}

# kubectl reads any object with an `items` array as a list and applies the items: a non-List kind
# with items is judged as itself and by its items.
test_kubectl_items_of_any_kind_judged if {
	manifest := json.marshal({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "default"}, "items": [yaml.unmarshal(crb)]})
	"Manifest: kind ClusterRoleBinding is not a namespaced kind: denied while namespaces are restricted" in deny_of("kubectl_apply", {"manifest": manifest})
	# a List's items alone
	list := json.marshal({"apiVersion": "v1", "kind": "List", "items": [yaml.unmarshal(cm)]})
	count(deny_of("kubectl_apply", {"manifest": list, "namespace": "default"})) == 0
}

# kubectl_create of a job or cronjob with a command: the server puts -n <namespace> after the
# command's --, where kubectl reads it as the container's command: the job lands in kubectl's
# context namespace, not default.
test_create_job_with_command_denied if {
	job := {"resourceType": "job", "name": "x", "image": "busybox", "command": "sh", "namespace": "default"}
	reasons := deny_of("kubectl_create", job)
	reasons == {"Tool 'kubectl_create': a job or cronjob with a command is created in kubectl's current context namespace (the server puts -n after the command's --), which the pack cannot check: denied while namespaces are restricted"}
	"Tool 'kubectl_create': a job or cronjob with a command is created in kubectl's current context namespace (the server puts -n after the command's --), which the pack cannot check: denied while namespaces are restricted" in deny_of("kubectl_create", object.union(job, {"resourceType": "CronJob", "schedule": "* * * * *"}))
	# without a command -n stays a flag of kubectl's
	count(deny_of("kubectl_create", object.remove(job, ["command"]))) == 0
	count(deny_of("kubectl_create", object.union(job, {"command": ""}))) == 0
	# namespaces not restricted: nothing to check
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_create", job) with data.warden.kubernetes as {"read_only": false}
}
