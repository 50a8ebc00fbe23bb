# Custom resources known to be namespaced (same package as kubernetes.rego). While namespaces are
# restricted, writes touch namespaced kinds only (scope.rego); the pack knows the namespaced kinds of
# Kubernetes' own API, but not whether a custom kind (a CRD's) is namespaced, so it denies those.
# The operator lists the ones that are, and they are then judged like built-in namespaced kinds (the
# namespace must be allowed, and no other namespace named):
#
#   namespaced_custom_resources:
#     - {group: cert-manager.io, kind: Certificate, plural: certificates}
#
# A manifest object matches an entry by kind and by the group of its apiVersion
# (cert-manager.io/v1); a resourceType matches by plural or kind with the group, as kubectl reads
# them: certificates.cert-manager.io, certificate.cert-manager.io, certificates.v1.cert-manager.io
# (case-insensitive). A name without its group (certificates, or a short name) is not matched:
# kubectl resolves it through the cluster's discovery, to whichever group has it. A built-in kind's
# name in a custom group (pods.evil.example.com, kind Role of evil.example.com/v1) is a custom
# resource too (resource_types.rego): denied unless listed ({group: evil.example.com, kind: Role,
# plural: roles}).
#
# The setting must be a list of such entries: group (a custom group: it has a dot and is not one of
# Kubernetes' own API groups), kind and plural, each a non-empty string. Anything else is refused:
# every write judged by scope.rego is then denied with the reason (fail closed).
package mcp.packs.kubernetes

import rego.v1

# Groups of Kubernetes' own API with a dot (those without one, apps, batch, ..., cannot be a CRD's).
builtin_api_groups := {
	"admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io",
	"authentication.k8s.io", "authorization.k8s.io", "certificates.k8s.io", "coordination.k8s.io",
	"discovery.k8s.io", "events.k8s.io", "flowcontrol.apiserver.k8s.io", "internal.apiserver.k8s.io",
	"networking.k8s.io", "node.k8s.io", "rbac.authorization.k8s.io", "resource.k8s.io",
	"scheduling.k8s.io", "storage.k8s.io", "storagemigration.k8s.io",
}

valid_custom_resource(e) if {
	is_object(e)
	is_string(e.group)
	contains(e.group, ".")
	not lower(e.group) in builtin_api_groups
	is_string(e.kind)
	e.kind != ""
	not contains(e.kind, ".")
	is_string(e.plural)
	e.plural != ""
	not contains(e.plural, ".")
}

valid_custom_resources(list) if {
	is_array(list)
	every e in list {
		valid_custom_resource(e)
	}
}

# The entries, when the setting is well formed (else none: the deny below says why).
custom_resources := list if {
	list := settings.namespaced_custom_resources
	valid_custom_resources(list)
}

deny contains "data.warden.kubernetes.namespaced_custom_resources must be a list of {group, kind, plural} (strings; group a custom API group): writes denied while namespaces are restricted" if {
	list := settings.namespaced_custom_resources
	not valid_custom_resources(list)
	scoped_write
}

custom_resource_object(obj) if {
	is_string(obj.kind)
	is_string(obj.apiVersion)
	parts := split(obj.apiVersion, "/")
	count(parts) == 2
	some e in custom_resources
	obj.kind == e.kind
	parts[0] == e.group
}

# A resourceType word (lower case): <name>.<group> or <name>.<version>.<group>, name the plural or
# the kind.
custom_resource_type(word) if {
	some e in custom_resources
	some name in {lower(e.plural), lower(e.kind)}
	word == concat(".", [name, lower(e.group)])
}

custom_resource_type(word) if {
	some e in custom_resources
	some name in {lower(e.plural), lower(e.kind)}
	parts := split(word, ".")
	parts[0] == name
	regex.match(`^v[0-9]+((alpha|beta)[0-9]+)?$`, parts[1])
	concat(".", array.slice(parts, 2, count(parts))) == lower(e.group)
}
