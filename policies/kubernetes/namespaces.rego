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

# Namespaces a generic kubectl command line names (argv.rego reads its words): -n X, --namespace X,
# --namespace=X, -n=X, -nX, -pnX (a cluster of one-letter flags), and the flags object
# ({"namespace": X} or {"n": X}; {"namespace": true} takes the next word: denied as `true`).
generic_namespaces contains args.namespace if is_string(args.namespace)

generic_namespaces contains generic_tokens[i + 1] if {
	some i, token in generic_tokens
	next_word_namespace(token)
}

next_word_namespace(w) if {
	long_flag(w) == "namespace"
	not contains(w, "=")
}

next_word_namespace(w) if {
	c := short_cluster(w)
	c.last == "n"
	c.value == ""
}

generic_namespaces contains long_value(w) if {
	some w in generic_words
	long_flag(w) == "namespace"
}

generic_namespaces contains c.value if {
	some w in generic_words
	c := short_cluster(w)
	c.last == "n"
	c.value != ""
}

generic_namespaces contains value if {
	some key, value in object.get(args, "flags", {})
	is_string(key) # flags given as an array: its keys are numbers
	split(lower(replace(trim_left(key, "-"), "_", "-")), "=")[0] in {"n", "namespace"}
}

# What the call touches; mcp-server-kubernetes runs a namespaced command in "default" when none is
# given, except kubectl_generic and port_forward (kubeconfig_namespace_tools, below).
requested_namespaces := generic_namespaces if {
	tool == "kubectl_generic"
	count(generic_namespaces) > 0
} else := {args.namespace} if {
	is_string(args.namespace)
} else := {"default"} if {
	tool in namespaced_tools
}

# --all-namespaces: the allNamespaces argument (any true value: the server tests it as JavaScript
# does), kubectl_generic's words, or kubectl_get of events without a namespace (the server then
# lists the events of every namespace), or a tool of kubernetes-mcp-server that reads every
# namespace (go_server.rego).
all_namespaces := true if {
	truthy(args.allNamespaces)
} else := true if {
	tool == "kubectl_generic"
	generic_all_namespaces
} else := true if {
	events_everywhere
} else := true if {
	go_all_namespaces
}

events_everywhere if {
	tool == "kubectl_get"
	is_string(args.resourceType)
	lower(args.resourceType) == "events"
	not truthy(args.namespace)
}

# --all-namespaces, --all_namespaces=1 (any value but false), -A, -RA, -A=true
generic_all_namespaces if {
	some w in generic_words
	long_flag(w) == "all-namespaces"
	not lower(long_value(w)) in {"false", "0", "f"}
}

generic_all_namespaces if {
	some w in generic_words
	"A" in short_cluster(w).letters
}

deny contains sprintf("Namespace '%s' is not allowed (allowed: %s)", [ns, allowed_text]) if {
	restricted
	input.phase == "request"
	input.tool
	applies
	some ns in requested_namespaces
	not ns in allowed_namespaces
}

# kubectl_generic and port_forward put a namespace on kubectl's command line only when the call gives
# one (a non-empty namespace argument; kubectl_generic's -n/--namespace words or flags too): without
# one kubectl works in its kubeconfig context's namespace (in a pod, the pod's own), not "default",
# and the pack cannot know which. While namespaces are restricted such a call is denied (give namespace).
kubeconfig_namespace_tools := {"kubectl_generic", "port_forward"}

namespace_given if {
	tool == "kubectl_generic"
	count(generic_namespaces) > 0
}

namespace_given if truthy(args.namespace)

deny contains sprintf("Tool '%s' without a namespace works in kubectl's current context namespace, which the pack cannot check: denied while namespaces are restricted (allowed: %s; give namespace)", [tool, allowed_text]) if {
	tool in kubeconfig_namespace_tools
	restricted
	input.phase == "request"
	applies
	not namespace_given
}

deny contains sprintf("All namespaces (--all-namespaces) is not allowed (allowed: %s)", [allowed_text]) if {
	all_namespaces
	restricted
	input.phase == "request"
	input.tool
	applies
}

# Resources k8s://<namespace>/<kind> are namespaced too. The server strips the first "k8s://"
# wherever it stands and reads <namespace>/<kind> from what is left: "kube-system/pods" (no scheme)
# lists kube-system's pods, so while namespaces are restricted a URI must start with k8s://.
# Judged by the URI the backend is sent (input.resource.backend_uri; the client may use an alias
# mcp-warden:<backend>:<uri> behind a shared endpoint).
resource_uri := input.resource.backend_uri if is_string(input.resource.backend_uri)
else := input.resource.uri

deny contains sprintf("Resource '%s' is not a k8s:// resource: denied (namespaces are restricted)", [resource_uri]) if {
	is_string(resource_uri)
	not startswith(resource_uri, "k8s://")
	restricted
	applies
}

deny contains sprintf("Namespace '%s' is not allowed (allowed: %s)", [ns, allowed_text]) if {
	startswith(resource_uri, "k8s://")
	restricted
	applies
	ns := split(substring(resource_uri, 6, -1), "/")[0]
	not ns in allowed_namespaces
}
