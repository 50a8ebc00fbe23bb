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

allowed_text := concat(", ", sort(allowed_namespaces))

# Namespaces a generic kubectl command line names: -n X, --namespace X, --namespace=X, -n=X, -nX,
# and the flags object ({"namespace": X} or {"n": X}).
generic_namespaces contains args.namespace if is_string(args.namespace)

generic_namespaces contains generic_tokens[i + 1] if {
	some i, token in generic_tokens
	token in {"-n", "--namespace"}
}

generic_namespaces contains substring(token, 12, -1) if {
	some token in generic_tokens
	startswith(token, "--namespace=")
}

generic_namespaces contains trim_prefix(substring(token, 2, -1), "=") if {
	some token in generic_tokens
	startswith(token, "-n")
	not startswith(token, "--")
	count(token) > 2
}

generic_namespaces contains value if {
	some key, value in object.get(args, "flags", {})
	trim_left(key, "-") in {"n", "namespace"}
}

# What the call touches; mcp-server-kubernetes runs a namespaced command in "default" when none is given.
requested_namespaces := generic_namespaces if {
	tool == "kubectl_generic"
	count(generic_namespaces) > 0
} else := {args.namespace} if {
	is_string(args.namespace)
} else := {"default"} if {
	tool in namespaced_tools
}

all_namespaces := true if {
	args.allNamespaces == true
} else := true if {
	tool == "kubectl_generic"
	generic_all_namespaces
}

generic_all_namespaces if {
	some token in generic_tokens
	token in {"-A", "--all-namespaces", "--all-namespaces=true"}
}

generic_all_namespaces if {
	some key, value in object.get(args, "flags", {})
	trim_left(key, "-") in {"A", "all-namespaces"}
	value != false
	value != "false"
}

deny contains sprintf("Namespace '%s' is not allowed (allowed: %s)", [ns, allowed_text]) if {
	restricted
	input.phase == "request"
	input.tool
	applies
	some ns in requested_namespaces
	not ns in allowed_namespaces
}

deny contains sprintf("All namespaces (--all-namespaces) is not allowed (allowed: %s)", [allowed_text]) if {
	all_namespaces
	restricted
	input.phase == "request"
	input.tool
	applies
}

# Resources k8s://<namespace>/<kind> are namespaced too.
deny contains sprintf("Namespace '%s' is not allowed (allowed: %s)", [ns, allowed_text]) if {
	startswith(input.resource.uri, "k8s://")
	restricted
	applies
	ns := split(substring(input.resource.uri, 6, -1), "/")[0]
	not ns in allowed_namespaces
}
