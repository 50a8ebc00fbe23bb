package mcp.packs.kubernetes_test

import rego.v1

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

test_get_allowed if {
	data.mcp.authz.allow with input as call("kubectl_get", {"resourceType": "pods", "namespace": "default"})
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_get", {"resourceType": "pods"})
}

test_describe_logs_top_allowed if {
	data.mcp.authz.allow with input as call("kubectl_describe", {"resourceType": "pod", "name": "web"})
	data.mcp.authz.allow with input as call("kubectl_logs", {"resourceType": "pod", "name": "web"})
	data.mcp.authz.allow with input as call("kubectl_generic", {"command": "top", "resourceType": "pods"})
}

test_delete_denied_with_message if {
	reasons := data.mcp.authz.deny with input as call("kubectl_delete", {"resourceType": "pod", "name": "web"})
	reasons == {"Operation 'delete' is not allowed in read-only mode"}
}

test_write_verbs_denied if {
	names := ["kubectl_apply", "kubectl_scale", "kubectl_patch", "kubectl_create"]
	allowed := {name | some name in names; data.mcp.authz.allow with input as call(name, {"name": "web"})}
	count(allowed) == 0
	denied := {name | some name in names; count(data.mcp.authz.deny) > 0 with input as call(name, {"name": "web"})}
	count(denied) == 4
	"Operation 'edit' is not allowed in read-only mode" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "edit", "resourceType": "deployment"})
	"Operation 'replace' is not allowed in read-only mode" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "replace -f x.yaml"})
}

test_unrecognized_verb_denied if {
	reasons := data.mcp.authz.deny with input as call("kubectl_generic", {"command": "auth", "subCommand": "can-i", "namespace": "default"})
	reasons == {"Operation 'auth' is not recognized: denied"}
}

test_unknown_tool_denied if {
	not data.mcp.authz.allow with input as call("kubectl_frobnicate", {})
	count(data.mcp.authz.deny) == 1 with input as call("kubectl_frobnicate", {})
}

test_write_allowed_when_read_only_off if {
	data.mcp.authz.allow with input as call("kubectl_scale", {"name": "web", "replicas": 2})
		with data.warden.kubernetes.read_only as false
}

test_exec_off_unless_enabled if {
	"Operation 'exec' is disabled (set data.warden.kubernetes.allow_exec to true to enable it)" in data.mcp.authz.deny with input as call("exec_in_pod", {"name": "web", "command": ["ls"]})
	data.mcp.authz.allow with input as call("exec_in_pod", {"name": "web", "command": ["ls"]})
		with data.warden.kubernetes.allow_exec as true
	not data.mcp.authz.allow with input as call("kubectl_generic", {"command": "exec", "args": ["web", "--", "ls"]})
}

test_namespace_argument_enforced if {
	reasons := data.mcp.authz.deny with input as call("kubectl_get", {"resourceType": "pods", "namespace": "kube-system"})
		with data.warden.kubernetes as restricted
	reasons == {"Namespace 'kube-system' is not allowed (allowed: default, monitoring)"}
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_get", {"resourceType": "pods", "namespace": "monitoring"})
		with data.warden.kubernetes as restricted
}

test_default_namespace_implied if {
	"Namespace 'default' is not allowed (allowed: prod)" in data.mcp.authz.deny with input as call("kubectl_get", {"resourceType": "pods"})
		with data.warden.kubernetes as {"allowed_namespaces": ["prod"]}
}

test_all_namespaces_denied_when_restricted if {
	"All namespaces (--all-namespaces) is not allowed (allowed: default, monitoring)" in data.mcp.authz.deny with input as call("kubectl_get", {"resourceType": "pods", "allNamespaces": true})
		with data.warden.kubernetes as restricted
	"All namespaces (--all-namespaces) is not allowed (allowed: default, monitoring)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get pods -A"})
		with data.warden.kubernetes as restricted
	"All namespaces (--all-namespaces) is not allowed (allowed: default, monitoring)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": ["pods", "--all-namespaces"]})
		with data.warden.kubernetes as restricted
}

test_command_string_namespaces if {
	"Namespace 'kube-system' is not allowed (allowed: default, monitoring)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get pods -n kube-system"})
		with data.warden.kubernetes as restricted
	"Namespace 'kube-system' is not allowed (allowed: default, monitoring)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": ["pods", "--namespace=kube-system"]})
		with data.warden.kubernetes as restricted
	"Namespace 'kube-system' is not allowed (allowed: default, monitoring)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "top", "flags": {"namespace": "kube-system"}})
		with data.warden.kubernetes as restricted
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_generic", {"command": "top pods --namespace monitoring"})
		with data.warden.kubernetes as restricted
}

test_per_client_namespaces if {
	settings := {"allowed_namespaces": ["default"], "clients": {"sre-bot": {"allowed_namespaces": ["payments"]}}}
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_get", {"resourceType": "pods", "namespace": "payments"})
		with data.warden.kubernetes as settings
	"Namespace 'default' is not allowed (allowed: payments)" in data.mcp.authz.deny with input as call("kubectl_get", {"resourceType": "pods"})
		with data.warden.kubernetes as settings
}

test_listing_ignores_arguments if {
	data.mcp.authz.allow with input as listed("kubectl_get") with data.warden.kubernetes as {"allowed_namespaces": []}
	data.mcp.authz.allow with input as listed("kubectl_generic")
	not data.mcp.authz.allow with input as listed("kubectl_delete")
	not data.mcp.authz.allow with input as listed("node_management")
}

test_protocol_methods_allowed if {
	data.mcp.authz.allow with input as {"phase": "request", "method": "tools/list", "client": {"id": "x"}}
}

test_resource_namespace if {
	not data.mcp.authz.deny["Namespace 'kube-system' is not allowed (allowed: default, monitoring)"] with input as {"phase": "request", "method": "resources/read", "resource": {"uri": "k8s://default/pods"}}
		with data.warden.kubernetes as restricted
	data.mcp.authz.deny["Namespace 'kube-system' is not allowed (allowed: default, monitoring)"] with input as {"phase": "request", "method": "resources/read", "resource": {"uri": "k8s://kube-system/pods"}}
		with data.warden.kubernetes as restricted
}

test_resource_without_the_scheme_denied_when_restricted if {
	"Resource 'kube-system/pods' is not a k8s:// resource: denied (namespaces are restricted)" in data.mcp.authz.deny with input as {"phase": "request", "method": "resources/read", "resource": {"uri": "kube-system/pods"}}
		with data.warden.kubernetes as restricted
	count(data.mcp.authz.deny) == 0 with input as {"phase": "request", "method": "resources/read", "resource": {"uri": "k8s://default/pods"}} with data.warden.kubernetes as restricted
}

# Behind a shared endpoint the client may name a resource by its alias (mcp-warden:<backend>:<uri>):
# judged by the URI the backend is sent (resource.backend_uri).
test_resource_alias_judged_by_backend_uri if {
	aliased := {"phase": "request", "method": "resources/read", "resource": {"uri": "mcp-warden:k8s:k8s://kube-system/pods", "backend_uri": "k8s://kube-system/pods"}}
	reasons := data.mcp.authz.deny with input as aliased with data.warden.kubernetes as restricted
	reasons == {"Namespace 'kube-system' is not allowed (allowed: default, monitoring)"}
	count(data.mcp.authz.deny) == 0 with input as {"phase": "request", "method": "resources/read", "resource": {"uri": "mcp-warden:k8s:k8s://default/pods", "backend_uri": "k8s://default/pods"}}
		with data.warden.kubernetes as restricted
}

test_node_management_only_knows_its_operations if {
	"Operation 'drain' is not allowed in read-only mode" in data.mcp.authz.deny with input as call("node_management", {"operation": "drain", "nodeName": "n1"})
	"Operation 'node_management get' is not recognized: denied" in data.mcp.authz.deny with input as call("node_management", {"operation": "get"})
		with data.warden.kubernetes.read_only as false
	not data.mcp.authz.allow with input as call("node_management", {"operation": "get"})
}

test_secrets_not_readable_by_default if {
	reason := "Reading secrets is not allowed (set data.warden.kubernetes.allow_secrets to true to allow it)"
	reason in data.mcp.authz.deny with input as call("kubectl_get", {"resourceType": "secrets"})
	reason in data.mcp.authz.deny with input as call("kubectl_describe", {"resourceType": "Secret", "name": "db"})
	reason in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": ["secret/db", "-o", "yaml"]})
	reason in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get secrets"})
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_get", {"resourceType": "secrets"})
		with data.warden.kubernetes.allow_secrets as true
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_get", {"resourceType": "configmaps"})
}

test_identity_flags_denied if {
	"Flag '--as' is not allowed (it changes kubectl's identity or cluster)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get pods --as=system:admin"})
	"Flag '--token' is not allowed (it changes kubectl's identity or cluster)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": ["pods", "--token", "x"]})
	"Flag '--kubeconfig' is not allowed (it changes kubectl's identity or cluster)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "top", "flags": {"kubeconfig": "/tmp/other"}})
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_generic", {"command": "get pods -o wide --sort-by=.metadata.name", "namespace": "default"})
}

test_contexts_restricted_when_configured if {
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_get", {"resourceType": "pods", "context": "prod"})
	"Context 'prod' is not allowed (allowed: staging)" in data.mcp.authz.deny with input as call("kubectl_get", {"resourceType": "pods", "context": "prod"})
		with data.warden.kubernetes.allowed_contexts as ["staging"]
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_get", {"resourceType": "pods", "context": "staging"})
		with data.warden.kubernetes.allowed_contexts as ["staging"]
	"Flag '--context' is not allowed (it changes kubectl's identity or cluster)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get pods --context=prod"})
}

# kubectl_context's set switches the server's current context (kubectl config use-context): with
# read_only false it is a permitted write, and it must not switch to a context allowed_contexts leaves out.
test_context_set_restricted_when_configured if {
	writer := {"read_only": false, "allowed_namespaces": ["default"], "allowed_contexts": ["staging"]}
	reasons := data.mcp.authz.deny with input as call("kubectl_context", {"operation": "set", "name": "prod"})
		with data.warden.kubernetes as writer
	reasons == {"Context 'prod' is not allowed (allowed: staging)"}
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_context", {"operation": "set", "name": "staging"})
		with data.warden.kubernetes as writer
	data.mcp.authz.allow with input as call("kubectl_context", {"operation": "set", "name": "staging"})
		with data.warden.kubernetes as writer
	# the server switches to the part after "cluster/" (an EKS ARN)
	"Context 'prod' is not allowed (allowed: arn:aws:eks:r:1:cluster/staging, staging)" in data.mcp.authz.deny with input as call("kubectl_context", {"operation": "set", "name": "staging-cluster/prod"})
		with data.warden.kubernetes as object.union(writer, {"allowed_contexts": ["staging", "arn:aws:eks:r:1:cluster/staging"]})
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_context", {"operation": "set", "name": "arn:aws:eks:r:1:cluster/staging"})
		with data.warden.kubernetes as object.union(writer, {"allowed_contexts": ["staging", "arn:aws:eks:r:1:cluster/staging"]})
	# list and get change nothing; without allowed_contexts any context may be set
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_context", {"operation": "list"}) with data.warden.kubernetes as writer
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_context", {"operation": "set", "name": "prod"})
		with data.warden.kubernetes as {"read_only": false}
}

# What mcp-server-kubernetes puts on kubectl's command line, read as kubectl reads it (argv.rego).
test_operands_must_be_plain_strings if {
	"Argument 'namespace' must be a string (got array): denied" in data.mcp.authz.deny with input as call("kubectl_get", {"resourceType": "pods", "namespace": ["kube-system"]})
	"Argument 'name' must be a string (got array): denied" in data.mcp.authz.deny with input as call("kubectl_get", {"resourceType": "pods", "name": ["-A"]})
	"Argument 'resourceType' must be a string (got array): denied" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "resourceType": ["secrets"]})
	"Argument 'context' must be a string (got array): denied" in data.mcp.authz.deny with input as call("kubectl_get", {"resourceType": "pods", "context": ["prod"]})
	"Argument 'name' starts with '-' (kubectl would read it as a flag): denied" in data.mcp.authz.deny with input as call("kubectl_logs", {"resourceType": "pod", "name": "--namespace=kube-system"})
	"Argument 'args' must be an array of strings: denied" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": [["-nkube-system"], "pods"]})
	"Flag 'x' must have a string, number or boolean value: denied" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "flags": {"x": ["a"]}})
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_get", {"resourceType": "pods", "name": null, "namespace": null})
	count(data.mcp.authz.deny) == 0 with input as call("exec_in_pod", {"name": "web", "command": ["ls", "-la"]}) with data.warden.kubernetes.allow_exec as true
}

test_all_namespaces_spellings if {
	reason := "All namespaces (--all-namespaces) is not allowed (allowed: default, monitoring)"
	every a in [
		call("kubectl_get", {"resourceType": "pods", "allNamespaces": 1}),
		call("kubectl_get", {"resourceType": "pods", "allNamespaces": "true"}),
		call("kubectl_get", {"resourceType": "events"}),
		call("kubectl_generic", {"command": "get", "allNamespaces": "yes"}),
		call("kubectl_generic", {"command": "get", "args": ["pods", "--all-namespaces=1"]}),
		call("kubectl_generic", {"command": "get", "args": ["pods", "--all_namespaces"]}),
		call("kubectl_generic", {"command": "get", "args": ["pods", "-A=true"]}),
		call("kubectl_generic", {"command": "get", "args": ["pods", "-RA"]}),
		call("kubectl_generic", {"command": "get", "flags": {"all_namespaces": true}}),
	] {
		reason in data.mcp.authz.deny with input as a with data.warden.kubernetes as restricted
	}
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_get", {"resourceType": "events", "namespace": "default"}) with data.warden.kubernetes as restricted
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_generic", {"command": "get", "args": ["pods", "--all-namespaces=false"], "namespace": "default"}) with data.warden.kubernetes as restricted
}

test_namespace_spellings if {
	reason := "Namespace 'kube-system' is not allowed (allowed: default, monitoring)"
	every a in [
		call("kubectl_generic", {"command": "logs", "args": ["-pnkube-system", "web"]}),
		call("kubectl_generic", {"command": "logs", "args": ["-pn", "kube-system", "web"]}),
		call("kubectl_generic", {"command": "get", "args": ["pods", "-n=kube-system"]}),
		call("kubectl_generic", {"command": "get", "flags": {"namespace=kube-system": true}}),
		call("kubectl_generic", {"command": "get", "flags": {"name_space": "x", "namespace": "kube-system"}}),
	] {
		reason in data.mcp.authz.deny with input as a with data.warden.kubernetes as restricted
	}
	# legitimate one-letter flags and their values read as such
	every a in [
		call("kubectl_generic", {"command": "get", "args": ["pods", "-ojson", "-owide", "-oname", "-l", "app=web", "-n", "default"]}),
		call("kubectl_generic", {"command": "get", "args": ["pods", "-ojsonpath={.items[*].metadata.name}", "-nmonitoring"]}),
		call("kubectl_generic", {"command": "logs", "args": ["web", "-p", "-c", "app", "--tail=10"], "namespace": "default"}),
		call("kubectl_generic", {"command": "get", "resourceType": "pods", "flags": {"selector": "app=web", "watch": false}, "namespace": "monitoring"}),
	] {
		count(data.mcp.authz.deny) == 0 with input as a with data.warden.kubernetes as restricted
		data.mcp.authz.allow with input as a with data.warden.kubernetes as restricted
	}
}

test_secret_spellings if {
	reason := "Reading secrets is not allowed (set data.warden.kubernetes.allow_secrets to true to allow it)"
	every a in [
		call("kubectl_get", {"resourceType": "secrets.v1."}),
		call("kubectl_get", {"resourceType": "configmaps,secrets"}),
		call("kubectl_describe", {"resourceType": "Secret.v1./db"}),
		call("kubectl_generic", {"command": "get", "args": ["pods,secrets"]}),
		call("kubectl_generic", {"command": "get", "resourceType": "secret", "name": "db"}),
	] {
		reason in data.mcp.authz.deny with input as a
	}
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_get", {"resourceType": "secretstores.external-secrets.io"})
}

# Secrets are the core group's: the same name in a custom group is not Secrets; one the pack cannot
# classify (a group it does not know, a version the core group does not serve) is read as Secrets.
test_secret_groups if {
	reason := "Reading secrets is not allowed (set data.warden.kubernetes.allow_secrets to true to allow it)"
	every t in [
		"secrets.", "SECRETS", " Secrets ", "secrets..", "Secret.v1.", "secret./db", "configmaps, secrets.",
		"secrets.v1", "secrets.v2.", "secrets.apps", "secrets.rbac.authorization.k8s.io", "secrets.rbac.authorization",
		"secrets.evil", "secrets.evil.example.com.", "secrets.-evil.example.com", "secrets.evil..com", "secrets.evil example.com",
	] {
		reason in data.mcp.authz.deny with input as call("kubectl_get", {"resourceType": t})
		reason in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": [t]})
	}
	every t in [
		"secrets.evil.example.com", "Secrets.Evil.Example.com", "secret.evil.example.com/db", "secrets.v1.evil.example.com",
		"configmaps,secrets.evil.example.com", "secrets.k8s.io",
		# apps serves no secrets: kubectl then reads the group v1.apps (a custom one's prefix)
		"secrets.v1.apps",
	] {
		count(data.mcp.authz.deny) == 0 with input as call("kubectl_get", {"resourceType": t})
		count(data.mcp.authz.deny) == 0 with input as call("kubectl_generic", {"command": "get", "args": [t], "namespace": "default"})
	}
}

test_flags_read_as_kubectl_reads_them if {
	"Flag '--s' is not allowed (it changes kubectl's identity or cluster)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": ["pods", "-Rshttps://evil"]})
	"Flag '--insecure-skip-tls-verify' is not allowed (it changes kubectl's identity or cluster)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": ["--insecure_skip_tls_verify"]})
	"Flag '--raw' is not allowed (it reads any API path, past the namespace and secret rules)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": ["--raw", "/api/v1/namespaces/kube-system/secrets"]})
	"Flag '--raw' is not allowed (it reads any API path, past the namespace and secret rules)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "flags": {"raw": "/api/v1/secrets"}})
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_generic", {"command": "get", "args": ["--raw", "/healthz"]}) with data.warden.kubernetes as {"allow_secrets": true}
}

test_file_and_url_flags_denied if {
	"Flag '--f' is not allowed (it reads files or URLs on the server's host)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": ["-f", "http://169.254.169.254/latest/meta-data"]})
	"Flag '--filename' is not allowed (it reads files or URLs on the server's host)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "flags": {"filename": "/etc/kubernetes/admin.conf"}})
	"Flag '--k' is not allowed (it reads files or URLs on the server's host)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": ["-Rk", "/srv"]})
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_generic", {"command": "logs", "args": ["web", "-f"], "namespace": "default"})
}

test_verbs_from_the_whole_command_line if {
	"Operation 'rollout-restart' is not allowed in read-only mode" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "rollout", "resourceType": "restart", "name": "deployment", "args": ["status"]})
	"Operation 'cluster-info-dump' is not recognized: denied" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "cluster-info", "args": ["dump"]})
	data.mcp.authz.allow with input as call("kubectl_generic", {"command": "cluster-info"})
}

# Arguments of other types are denied for a reason of the pack's, never by a builtin error (policy
# test evaluates strictly, as the proxy does by default: an error would make this test ERROR).
test_arguments_of_other_types_denied_for_a_reason if {
	"Argument 'subCommand' must be a string (got number): denied" in data.mcp.authz.deny with input as call("kubectl_rollout", {"subCommand": 5})
	"Operation of tool 'kubectl_context' could not be determined from its arguments: denied" in data.mcp.authz.deny with input as call("kubectl_context", {"operation": 5})
	"Operation of tool 'node_management' could not be determined from its arguments: denied" in data.mcp.authz.deny with input as call("node_management", {"operation": false})
	"Argument 'command' must be a string (got number): denied" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": 5})
	"Argument 'subCommand' must be a string (got array): denied" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "subCommand": ["x"]})
	"Argument 'args' must be an array of strings: denied" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": "secrets"})
	"Argument 'args' must be an array of strings: denied" in data.mcp.authz.deny with input as call("kubectl_generic", {"args": [null, "pods"]})
	"Argument 'flags' must be an object: denied" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "flags": ["-n", "kube-system"]})
}

# Output formats that make kubectl read and print a file of the server's host (templatefile is
# kubectl's alias of go-template-file), in every place kubectl_generic takes -o from.
test_file_output_formats_denied if {
	msg := "Output format 'templatefile' is not allowed (it reads a file on the server's host)"
	msg in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "resourceType": "pods", "outputFormat": "templatefile", "args": ["--template=/etc/passwd"]})
	msg in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": ["pods", "--template=/etc/passwd"], "flags": {"output": "templatefile"}})
	msg in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": ["pods", "-o", "templatefile", "--template", "/etc/passwd"]})
	msg in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": ["pods", "--output", "templatefile"]})
	"Output format 'go-template-file=/etc/passwd' is not allowed (it reads a file on the server's host)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": ["pods", "-ogo-template-file=/etc/passwd"]})
	"Output format 'JSONPATH-FILE=/x' is not allowed (it reads a file on the server's host)" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "args": ["pods", "--output=JSONPATH-FILE=/x"]})
	"Argument 'outputFormat' must be a string (got array): denied" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "outputFormat": ["templatefile"]})
	"Flag 'output' in flags needs a value (a bare --output takes the next word): denied" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "flags": {"output": true}, "args": ["templatefile", "--template=/etc/passwd"]})
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_generic", {"command": "get", "args": ["pods", "-o", "jsonpath={.items[*].metadata.name}"], "namespace": "default"})
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_generic", {"command": "get", "resourceType": "pods", "outputFormat": "json", "namespace": "default"})
}

# kubectl runs a plugin (kubectl-<word> on the server's PATH) for a first word that is none of its
# commands: kubectl_generic's words named like other tools' reads, or spelled in other case, are
# not recognized, not reads.
test_generic_plugin_words_not_recognized if {
	not data.mcp.authz.allow with input as call("kubectl_generic", {"command": "ping"})
	"Operation 'kubectl ping' is not recognized: denied" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "ping"})
	not data.mcp.authz.allow with input as call("kubectl_generic", {"command": "context-list"})
	not data.mcp.authz.allow with input as call("kubectl_generic", {"command": "rollout-status", "resourceType": "deployment"})
	not data.mcp.authz.allow with input as call("kubectl_generic", {"command": "helm-list"})
	"Operation 'GET' is not recognized: denied" in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "GET", "resourceType": "pods"})
	not data.mcp.authz.allow with input as call("kubectl_generic", {"command": "Rollout", "subCommand": "status", "resourceType": "deployment"})
	not data.mcp.authz.allow with input as call("kubectl_generic", {"command": "Cluster-Info", "subCommand": "dump"})
	data.mcp.authz.allow with input as call("kubectl_generic", {"command": "rollout", "subCommand": "status", "resourceType": "deployment"})
	data.mcp.authz.allow with input as call("kubectl_generic", {"command": "get", "resourceType": "pods"})
}

# kubectl_generic and port_forward give kubectl no namespace unless the call names one: kubectl then
# works in its kubeconfig context's namespace, not "default" (the other tools pass -n default).
test_kubeconfig_namespace_tools_need_a_namespace_while_restricted if {
	generic := "Tool 'kubectl_generic' without a namespace works in kubectl's current context namespace, which the pack cannot check: denied while namespaces are restricted (allowed: default, monitoring; give namespace)"
	generic in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "resourceType": "pods"}) with data.warden.kubernetes as restricted
	generic in data.mcp.authz.deny with input as call("kubectl_generic", {"command": "get", "resourceType": "pods", "namespace": null}) with data.warden.kubernetes as restricted
	writer := object.union(restricted, {"read_only": false})
	forward := "Tool 'port_forward' without a namespace works in kubectl's current context namespace, which the pack cannot check: denied while namespaces are restricted (allowed: default, monitoring; give namespace)"
	reasons := data.mcp.authz.deny with input as call("port_forward", {"resourceType": "pod", "resourceName": "db", "localPort": 5432, "targetPort": 5432}) with data.warden.kubernetes as writer
	reasons == {forward}
	# a namespace named on the call, as an argument or on the command line
	every a in [
		call("kubectl_generic", {"command": "get", "resourceType": "pods", "namespace": "default"}),
		call("kubectl_generic", {"command": "get", "args": ["pods", "-n", "monitoring"]}),
		call("kubectl_generic", {"command": "get", "resourceType": "pods", "flags": {"namespace": "default"}}),
	] {
		count(data.mcp.authz.deny) == 0 with input as a with data.warden.kubernetes as restricted
	}
	count(data.mcp.authz.deny) == 0 with input as call("port_forward", {"resourceType": "pod", "resourceName": "db", "localPort": 5432, "targetPort": 5432, "namespace": "default"}) with data.warden.kubernetes as writer
	# namespaces not restricted: nothing to check
	count(data.mcp.authz.deny) == 0 with input as call("kubectl_generic", {"command": "get", "resourceType": "pods"}) with data.warden.kubernetes as {}
}
