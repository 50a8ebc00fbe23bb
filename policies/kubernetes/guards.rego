# Guards of the kubernetes pack (same package as kubernetes.rego) against reads and flags that a
# read-only troubleshooter must not get through a permitted verb:
#   - Secrets: reading secret objects (get/describe secret(s), also on kubectl command lines) is
#     denied unless data.warden.kubernetes.allow_secrets is true.
#   - Flags that change who kubectl is or which cluster it talks to (--as, --as-group, --as-uid,
#     --token, --kubeconfig, --server, --username, --password, --certificate-authority,
#     --client-certificate, --client-key, --insecure-skip-tls-verify, --context, --cluster, --user)
#     are denied on kubectl_generic.
#   - Kube contexts: when data.warden.kubernetes.allowed_contexts is set, a `context` argument must
#     name one of them.
package mcp.packs.kubernetes

import rego.v1

secrets_allowed if settings.allow_secrets == true

reads_secrets if lower(args.resourceType) in {"secret", "secrets"}

reads_secrets if {
	tool == "kubectl_generic"
	some token in generic_tokens
	secret_word(lower(token))
}

# "secret", "secrets", or a named one: "secret/x", "secrets/x".
secret_word(word) if word in {"secret", "secrets"}

secret_word(word) if startswith(word, "secret/")

secret_word(word) if startswith(word, "secrets/")

deny contains "Reading secrets is not allowed (set data.warden.kubernetes.allow_secrets to true to allow it)" if {
	input.phase == "request"
	verb_kind == "read"
	reads_secrets
	applies
	not secrets_allowed
}

forbidden_flags := {
	"as", "as-group", "as-uid", "token", "kubeconfig", "server", "s", "username", "password",
	"certificate-authority", "client-certificate", "client-key", "insecure-skip-tls-verify",
	"context", "cluster", "user",
}

generic_flag_names contains name if {
	some token in generic_tokens
	startswith(token, "-")
	name := split(trim_left(token, "-"), "=")[0]
}

generic_flag_names contains trim_left(key, "-") if {
	tool == "kubectl_generic"
	some key, _ in object.get(args, "flags", {})
}

deny contains sprintf("Flag '--%s' is not allowed (it changes kubectl's identity or cluster)", [name]) if {
	tool == "kubectl_generic"
	input.phase == "request"
	some name in generic_flag_names
	name in forbidden_flags
	applies
}

deny contains sprintf("Context '%s' is not allowed (allowed: %s)", [args.context, concat(", ", sort(settings.allowed_contexts))]) if {
	is_string(args.context)
	args.context != ""
	input.phase == "request"
	settings.allowed_contexts
	not args.context in settings.allowed_contexts
	applies
}
