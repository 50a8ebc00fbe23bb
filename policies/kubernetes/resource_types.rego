# Resource types and kinds of Kubernetes' own API, with their API groups (same package as
# kubernetes.rego). A built-in name is Kubernetes' own only in its own group: kubectl reads
# "pods.evil.example.com" as the resource `pods` of the group evil.example.com (a CRD's, which may be
# cluster-scoped), and applies a manifest's `kind: Role` with `apiVersion: evil.example.com/v1` as
# that group's Role. So a resourceType word or a manifest object is judged as a built-in kind only
# when its group, if given, is the built-in one; a word with a custom group is a custom resource
# (custom_resources.rego); one the pack cannot classify is neither (scope.rego denies it, guards.rego
# reads it as a Secret when it is spelled like one).
#
# How kubectl reads a word <name>[.<rest>] (k8s.io/cli-runtime's mappingFor, apimachinery's
# DefaultRESTMapper): with three parts or more it first tries <name>.<version>.<group> (exact group
# and version), then <name>.<group> with <rest> the group: the exact group, else any group that
# starts with it (roles.rbac is roles.rbac.authorization.k8s.io). No group at all (pods, "pods."),
# or an empty group with a version ("pods.v1.", "secrets.."), leaves the choice to the cluster's
# discovery, where Kubernetes' own groups come first.
package mcp.packs.kubernetes

import rego.v1

# The namespaced resources of Kubernetes' own API: plural, singular and short names, each with the
# groups that serve it ("": the core group, apiVersion v1).
namespaced_type_groups := {
	"pods": {""}, "pod": {""}, "po": {""},
	"services": {""}, "service": {""}, "svc": {""},
	"configmaps": {""}, "configmap": {""}, "cm": {""},
	"secrets": {""}, "secret": {""},
	"serviceaccounts": {""}, "serviceaccount": {""}, "sa": {""},
	"persistentvolumeclaims": {""}, "persistentvolumeclaim": {""}, "pvc": {""},
	"endpoints": {""},
	"limitranges": {""}, "limitrange": {""}, "limits": {""},
	"resourcequotas": {""}, "resourcequota": {""}, "quota": {""},
	"events": {"", "events.k8s.io"}, "event": {"", "events.k8s.io"}, "ev": {"", "events.k8s.io"},
	"replicationcontrollers": {""}, "replicationcontroller": {""}, "rc": {""},
	"podtemplates": {""}, "podtemplate": {""},
	"deployments": {"apps"}, "deployment": {"apps"}, "deploy": {"apps"},
	"replicasets": {"apps"}, "replicaset": {"apps"}, "rs": {"apps"},
	"statefulsets": {"apps"}, "statefulset": {"apps"}, "sts": {"apps"},
	"daemonsets": {"apps"}, "daemonset": {"apps"}, "ds": {"apps"},
	"controllerrevisions": {"apps"}, "controllerrevision": {"apps"},
	"jobs": {"batch"}, "job": {"batch"},
	"cronjobs": {"batch"}, "cronjob": {"batch"}, "cj": {"batch"},
	"horizontalpodautoscalers": {"autoscaling"}, "horizontalpodautoscaler": {"autoscaling"}, "hpa": {"autoscaling"},
	"poddisruptionbudgets": {"policy"}, "poddisruptionbudget": {"policy"}, "pdb": {"policy"},
	"roles": {"rbac.authorization.k8s.io"}, "role": {"rbac.authorization.k8s.io"},
	"rolebindings": {"rbac.authorization.k8s.io"}, "rolebinding": {"rbac.authorization.k8s.io"},
	"ingresses": {"networking.k8s.io"}, "ingress": {"networking.k8s.io"}, "ing": {"networking.k8s.io"},
	"networkpolicies": {"networking.k8s.io"}, "networkpolicy": {"networking.k8s.io"}, "netpol": {"networking.k8s.io"},
	"endpointslices": {"discovery.k8s.io"}, "endpointslice": {"discovery.k8s.io"},
	"leases": {"coordination.k8s.io"}, "lease": {"coordination.k8s.io"},
}

# The same kinds as a manifest names them, each with the groups of its apiVersion.
namespaced_kind_groups := {
	"Pod": {""}, "Service": {""}, "ConfigMap": {""}, "Secret": {""}, "ServiceAccount": {""},
	"PersistentVolumeClaim": {""}, "Endpoints": {""}, "LimitRange": {""}, "ResourceQuota": {""},
	"Event": {"", "events.k8s.io"}, "ReplicationController": {""}, "PodTemplate": {""},
	"Deployment": {"apps"}, "ReplicaSet": {"apps"}, "StatefulSet": {"apps"}, "DaemonSet": {"apps"},
	"ControllerRevision": {"apps"}, "Job": {"batch"}, "CronJob": {"batch"},
	"HorizontalPodAutoscaler": {"autoscaling"}, "PodDisruptionBudget": {"policy"},
	"Role": {"rbac.authorization.k8s.io"}, "RoleBinding": {"rbac.authorization.k8s.io"},
	"Ingress": {"networking.k8s.io"}, "NetworkPolicy": {"networking.k8s.io"},
	"EndpointSlice": {"discovery.k8s.io"}, "Lease": {"coordination.k8s.io"},
}

# Secrets, for guards.rego.
secret_type_groups := {"secrets": {""}, "secret": {""}}

# The versions those groups serve. kubectl reads <name>.<version>.<group> with a version the group
# does not serve (deployments.v9.apps) as <name>.<group> with group "v9.apps", which any group
# starting with it matches: not a built-in type then.
served_versions := {
	"": {"v1"}, "apps": {"v1"}, "batch": {"v1"}, "autoscaling": {"v1", "v2"}, "policy": {"v1"},
	"rbac.authorization.k8s.io": {"v1"}, "networking.k8s.io": {"v1"}, "discovery.k8s.io": {"v1"},
	"coordination.k8s.io": {"v1"}, "events.k8s.io": {"v1"},
}

# A resourceType word (lower case, trimmed, without its "/<name>") that names a type of `table`
# (name -> groups) in one of its groups, as kubectl reads it:
#   <name>                  pods, deploy (discovery: Kubernetes' own first)
#   <name>.<group>          "pods." (the core group), deployments.apps, roles.rbac.authorization.k8s.io
#   <name>.<version>.<group> "pods.v1.", "secrets.." (no version), deployments.v1.apps
# (a set value is never false: `table[word]` holds when word is a key)
builtin_type(word, table) if table[word]

builtin_type(word, table) if {
	i := indexof(word, ".")
	i > 0
	substring(word, i + 1, -1) in table[substring(word, 0, i)]
}

builtin_type(word, table) if {
	parts := split(word, ".")
	count(parts) > 2
	group := concat(".", array.slice(parts, 2, count(parts)))
	group in table[parts[0]]
	version_served(group, parts[1])
}

version_served(_, "")

version_served(group, version) if version in served_versions[group]

# A word with a group that is a custom one (and not a built-in reading of it): <name>.<group> with
# group a DNS subdomain with a dot that is no built-in group nor the start of one (roles.rbac.
# authorization would match rbac.authorization.k8s.io by prefix).
custom_group_type(word, table) if {
	i := indexof(word, ".")
	i > 0
	custom_group(substring(word, i + 1, -1))
	not builtin_type(word, table)
}

custom_group(group) if {
	regex.match(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$`, group)
	not builtin_group_prefix(group)
}

builtin_group_prefix(group) if {
	some g in builtin_api_groups
	startswith(g, group)
}

# An object of a manifest whose kind is one of `table` (kind -> groups) with an apiVersion of one of
# its groups and a version it serves: "v1" is the core group's, "<group>/<version>" another's.
builtin_object(obj, table) if {
	is_string(obj.kind)
	is_string(obj.apiVersion)
	parts := split(obj.apiVersion, "/")
	count(parts) == 1
	"" in table[obj.kind]
	parts[0] in served_versions[""]
}

builtin_object(obj, table) if {
	is_string(obj.kind)
	is_string(obj.apiVersion)
	parts := split(obj.apiVersion, "/")
	count(parts) == 2
	parts[0] in table[obj.kind]
	parts[1] in served_versions[parts[0]]
}
