# Namespace rules of the kubernetes pack (same package as kubernetes.rego).
# A call is checked when namespaces are restricted (allowed_namespaces set for the client or the
# deployment and not containing "*"), and only at the request phase: listing never depends on them.
package mcp.packs.kubernetes

import rego.v1

allowed_namespaces := ns if {
	ns := settings.clients[input.client.id].allowed_namespaces
} else := ns if {
	ns := settings.allowed_namespaces
}

restricted if {
	allowed_namespaces
	not "*" in allowed_namespaces
}

# Namespaces a generic kubectl command line names: -n X, --namespace X, --namespace=X, -n=X, -nX.
token_namespaces contains generic_tokens[i + 1] if {
	some i, token in generic_tokens
	token in {"-n", "--namespace"}
}

token_namespaces contains substring(token, 12, -1) if {
	some token in generic_tokens
	startswith(token, "--namespace=")
}

token_namespaces contains trim_prefix(substring(token, 2, -1), "=") if {
	some token in generic_tokens
	startswith(token, "-n")
	not startswith(token, "--")
	count(token) > 2
}

flag_namespaces contains value if {
	tool == "kubectl_generic"
	some key, value in object.get(args, "flags", {})
	trim_left(key, "-") in {"n", "namespace"}
}

all_namespaces if args.allNamespaces == true

all_namespaces if {
	some token in generic_tokens
	token in {"-A", "--all-namespaces", "--all-namespaces=true"}
}

all_namespaces if {
	tool == "kubectl_generic"
	some key, value in object.get(args, "flags", {})
	trim_left(key, "-") in {"A", "all-namespaces"}
	value != false
	value != "false"
}

explicit_namespaces contains args.namespace if is_string(args.namespace)

explicit_namespaces contains ns if some ns in token_namespaces

explicit_namespaces contains ns if some ns in flag_namespaces

# mcp-server-kubernetes runs a namespaced command in "default" when none is given.
requested_namespaces := explicit_namespaces if count(explicit_namespaces) > 0

requested_namespaces := {"default"} if {
	count(explicit_namespaces) == 0
	tool in namespaced_tools
}

deny contains sprintf("Namespace '%s' is not allowed (allowed: %s)", [ns, concat(", ", sort(allowed_namespaces))]) if {
	applies
	input.phase == "request"
	input.tool
	restricted
	some ns in requested_namespaces
	not ns in allowed_namespaces
}

deny contains sprintf("All namespaces (--all-namespaces) is not allowed (allowed: %s)", [concat(", ", sort(allowed_namespaces))]) if {
	applies
	input.phase == "request"
	input.tool
	restricted
	all_namespaces
}

# Resources k8s://<namespace>/<kind> are namespaced too.
deny contains sprintf("Namespace '%s' is not allowed (allowed: %s)", [ns, concat(", ", sort(allowed_namespaces))]) if {
	applies
	input.resource.uri
	restricted
	startswith(input.resource.uri, "k8s://")
	ns := split(substring(input.resource.uri, 6, -1), "/")[0]
	not ns in allowed_namespaces
}
