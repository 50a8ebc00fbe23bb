# Writes while namespaces are restricted (same package as kubernetes.rego): with read_only: false
# "namespaces still apply", but an object that lives in no namespace escapes them: `kubectl apply
# -n default` of a ClusterRoleBinding to cluster-admin, `kubectl create namespace`, a Helm chart's
# templates (any namespace, cluster-scoped kinds). So while namespaces are restricted, a write may
# only touch namespaced kinds of Kubernetes' own API in an allowed namespace:
#   - kubectl_create, kubectl_delete, kubectl_patch, kubectl_scale, kubectl_rollout: a resourceType
#     that is not one of namespaced_type_groups (singular, plural or short name) in its own group
#     (resource_types.rego: pods, pods.v1., deployments.apps; not pods.evil.example.com) is denied;
#   - a manifest (kubectl_apply, kubectl_create, kubectl_delete; resources_create_or_update's
#     `resource`, go_server.rego): every document, and every item of one with an `items` array
#     (kubectl's lists; not for kubernetes-mcp-server, which applies the document itself), must be
#     of a kind in namespaced_kind_groups with an apiVersion of its own group (Role of
#     rbac.authorization.k8s.io/v1, not of evil.example.com/v1) and name no other namespace; one the
#     pack cannot read is denied, as is YAML that go-yaml (kubectl's and the Go server's reader)
#     reads otherwise than the pack (merge keys, YAML 1.1 line breaks and booleans);
#   - Helm charts, node_management and kubectl_generic's writes are denied (what they touch is not in
#     their arguments), as is kubectl_create of a job or cronjob with a command (the server puts its
#     -n after the command's --: kubectl's context namespace is used).
# Custom resources: the pack cannot know whether a custom kind is namespaced, so it denies them,
# unless the operator lists it in namespaced_custom_resources (custom_resources.rego); a listed one
# is then judged as a namespaced kind of Kubernetes' own API.
# Always: arguments naming a file of the server's host (filename, fromFile, patchFile) are denied,
# as -f on kubectl_generic is (guards.rego).
package mcp.packs.kubernetes

import rego.v1

typed_write_tools := {"kubectl_create", "kubectl_delete", "kubectl_patch", "kubectl_scale", "kubectl_rollout"}

manifest_tools := {"kubectl_apply", "kubectl_create", "kubectl_delete"}

# Writes whose targets are not in their arguments.
unscoped_write_tools := {
	"install_helm_chart", "upgrade_helm_chart", "uninstall_helm_chart", "node_management", "kubectl_generic",
	"helm_install", "helm_uninstall",
}

scoped_write if {
	verb_kind == "write"
	input.phase == "request"
	restricted
	not read_only
	applies
}

deny contains sprintf("Tool '%s' may change objects outside the allowed namespaces (or cluster-wide): denied while namespaces are restricted", [tool]) if {
	tool in unscoped_write_tools
	scoped_write
}

# Listed, these would be denied for every argument (only kubectl_generic also reads): hidden.
deny contains sprintf("Tool '%s' may change objects outside the allowed namespaces (or cluster-wide): denied while namespaces are restricted", [tool]) if {
	input.phase == "list"
	tool in unscoped_write_tools
	tool != "kubectl_generic"
	restricted
	not read_only
	applies
}

# A resourceType's words ("clusterrolebindings", "deployment/web", "deployments.apps", "cm,secrets").
# (a boolean rule, the only reader of resourceType here, and the deny names the tool, not the
# type: the decision memo then re-checks only this rule when resourceType changes, as for
# reads_secrets)
unscoped_resource_type if {
	tool in typed_write_tools
	is_string(args.resourceType)
	some part in split(lower(args.resourceType), ",")
	word := split(trim_space(part), "/")[0]
	not builtin_type(word, namespaced_type_groups)
	not custom_resource_type(word)
}

deny contains sprintf("Tool '%s': its resourceType is not a namespaced kind: denied while namespaces are restricted", [tool]) if {
	unscoped_resource_type
	scoped_write
}

# kubectl_create of a job or cronjob with a command: the server writes `kubectl create job <name>
# --image=<image> -- <command...>` and only then -n <namespace> (and --context, -o), so kubectl reads
# them as words of the container's command and creates the object in its kubeconfig context's
# namespace (in a pod, the pod's own), not the one judged. (a command that is not a string is denied
# by argv.rego; with a manifest the server creates from it instead, denied here all the same)
create_job_with_command if {
	tool == "kubectl_create"
	is_string(args.resourceType)
	lower(args.resourceType) in {"job", "cronjob"}
	is_string(args.command)
	args.command != ""
}

# (a boolean rule reads resourceType, and the deny names neither: the decision memo then re-checks
# only that rule when resourceType changes, as for unscoped_resource_type)
deny contains "Tool 'kubectl_create': a job or cronjob with a command is created in kubectl's current context namespace (the server puts -n after the command's --), which the pack cannot check: denied while namespaces are restricted" if {
	create_job_with_command
	scoped_write
}

# The documents of a manifest, split as kubectl splits them (a line starting with --- ends one).
manifest_parts := [p | some p in regex.split(`(?m)^---`, args.manifest); trim_space(p) != ""] if {
	tool in manifest_tools
	is_string(args.manifest)
}

# kubernetes-mcp-server's resources_create_or_update (go_server.rego): it splits `resource` at lines
# that are "---" alone and reads the first document of each part (YAML or JSON), a subset of what
# is judged here; a `resource` that is not a string is not a manifest the pack can read.
manifest_parts := [p | some p in regex.split(`(?m)^---`, args.resource); trim_space(p) != ""] if {
	tool == "resources_create_or_update"
	is_string(args.resource)
}

manifest_problems contains "the resource argument is not a string" if {
	tool == "resources_create_or_update"
	not is_string(args.resource)
}

manifest_problems contains "a document is not valid YAML" if {
	some p in manifest_parts
	not yaml.is_valid(p)
}

# YAML that the pack's reader (YAML 1.2) and go-yaml v2 (YAML 1.1, through sigs.k8s.io/yaml: what
# kubectl and kubernetes-mcp-server read a manifest with) read differently, so that the object judged
# is not the object written (shown with kubernetes-mcp-server 0.0.66 and a recording API server,
# test/policy-kubernetes-go-yaml.test.ts):
#   - a merge key (<<, or a tag naming one: !!merge, !<tag:...merge>, %-escapes) overrides, in
#     go-yaml v2, keys written before it (`namespace: default` then `<<: {namespace: kube-system}`
#     writes to kube-system; `<<: {kind: ClusterRoleBinding, ...}` changes the kind), where YAML 1.2
#     keeps the explicit key. A `<<` followed by a word or a quote (a shell heredoc, `x << y`) is
#     no merge key and not refused.
#   - a lone CR, NEL, LS or PS is a line break to YAML 1.1 only: `namespace: default # c<LS>
#     namespace: kube-system` is one comment to the pack and a second (winning) key to go-yaml.
#   - an unquoted y, yes, n, no, on or off is a boolean to YAML 1.1 (namespace: no is false: the
#     server's configured namespace), a string to the pack.
# yaml.unmarshal now reads YAML 1.1 as go-yaml v2 does (as OPA's does), so the objects judged are
# those go-yaml reads (an unquoted no is false, no listed namespace); these textual refusals stay, as
# defence in depth against any reading the engine's YAML reader still does otherwise.
manifest_problems contains "a document has a YAML merge key (<<, or a tag that may name one), which go-yaml lets override the keys before it" if {
	some p in manifest_parts
	regex.match(`<<[ \t]*([^A-Za-z0-9_'"~ \t-]|$)|![^ \t\r\n]*(merge|%)|!<`, p)
}

manifest_problems contains "a document has a line break only YAML 1.1 reads as one (a CR not before LF, NEL, LS or PS)" if {
	some p in manifest_parts
	regex.match(`\r([^\n]|$)|[\x{85}\x{2028}\x{2029}]`, p)
}

yaml11_booleans := {"y", "yes", "n", "no", "on", "off"}

manifest_problems contains sprintf("namespace %v is a boolean to YAML 1.1 (kubectl and kubernetes-mcp-server read it as one, written unquoted)", [ns]) if {
	some obj in manifest_objects
	is_object(obj)
	meta := object.get(obj, "metadata", {})
	is_object(meta)
	ns := object.get(meta, "namespace", null)
	is_string(ns)
	lower(ns) in yaml11_booleans
}

manifest_objects contains obj if {
	some p in manifest_parts
	yaml.is_valid(p)
	doc := yaml.unmarshal(p)
	doc != null
	some obj in listed_objects(doc)
}

# The objects a document writes. kubectl reads any object with an `items` array as a list and
# applies its items (one level); the pack judges them, and also the document itself unless its kind
# is a List's (fail closed: kind ClusterRoleBinding with items). kubernetes-mcp-server applies the
# document itself, items or not (an `items` field of kind AccessList, a custom cluster-scoped kind,
# is that object's field): its documents are judged as they are.
listed_objects(doc) := array.concat(doc.items, self) if {
	tool in manifest_tools
	is_object(doc)
	is_array(doc.items)
	self := [doc | not list_kind(doc)]
} else := [doc]

list_kind(doc) if {
	is_string(doc.kind)
	endswith(doc.kind, "List")
}

# (object.get only on an object: on a scalar document it raised a builtin error, and with
# builtinErrors not strict the rule was undefined and the manifest allowed)
manifest_problems contains "a document is not an object" if {
	some obj in manifest_objects
	not is_object(obj)
}

manifest_problems contains sprintf("kind %v is not a namespaced kind", [object.get(obj, "kind", null)]) if {
	some obj in manifest_objects
	is_object(obj)
	not namespaced_object(obj)
	not builtin_kind_name(obj)
}

# A built-in kind's name in another group (kind: Role, apiVersion: evil.example.com/v1), or with an
# apiVersion missing or one the pack does not know: a custom resource, or nothing kubectl can apply.
manifest_problems contains sprintf("kind %v of apiVersion %v is not a namespaced kind of Kubernetes' own API (nor a listed custom resource)", [obj.kind, object.get(obj, "apiVersion", null)]) if {
	some obj in manifest_objects
	is_object(obj)
	not namespaced_object(obj)
	builtin_kind_name(obj)
}

builtin_kind_name(obj) if namespaced_kind_groups[obj.kind]

namespaced_object(obj) if builtin_object(obj, namespaced_kind_groups)

namespaced_object(obj) if custom_resource_object(obj)

manifest_problems contains sprintf("namespace %v is not allowed", [ns]) if {
	some obj in manifest_objects
	is_object(obj)
	meta := object.get(obj, "metadata", {})
	is_object(meta)
	ns := object.get(meta, "namespace", null)
	ns != null
	not ns in allowed_namespaces
}

deny contains sprintf("Manifest: %s: denied while namespaces are restricted", [problem]) if {
	scoped_write
	some problem in manifest_problems
}

# (one rule per argument: a constant key each, so the decision memo keys on these members alone)
host_file_argument contains "filename" if given(args.filename)

host_file_argument contains "fromFile" if given(args.fromFile)

host_file_argument contains "patchFile" if given(args.patchFile)

given(v) if not v in {null, "", false}

deny contains sprintf("Argument '%s' names a file on the server's host: denied", [name]) if {
	input.phase == "request"
	tool in {"kubectl_apply", "kubectl_create", "kubectl_delete", "kubectl_patch"}
	some name in host_file_argument
	applies
}
