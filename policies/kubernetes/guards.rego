# Guards of the kubernetes pack (same package as kubernetes.rego) against reads and flags that a
# read-only troubleshooter must not get through a permitted verb:
#   - Secrets: reading secret objects (get/describe secret(s), also on kubectl command lines) is
#     denied unless data.warden.kubernetes.allow_secrets is true.
#   - Flags that change who kubectl is or which cluster it talks to (--as, --as-group, --as-uid,
#     --token, --kubeconfig, --server, --username, --password, --certificate-authority,
#     --client-certificate, --client-key, --insecure-skip-tls-verify, --context, --cluster, --user)
#     are denied on kubectl_generic.
#   - Kube contexts: when data.warden.kubernetes.allowed_contexts is set, a `context` argument must
#     name one of them, and so must the context kubectl_context's set switches the server to.
#   - Files of the server's host: -f/--filename, -k/--kustomize, and the output formats that read
#     a file (-o go-template-file, templatefile, jsonpath-file, custom-columns-file) on
#     kubectl_generic.
package mcp.packs.kubernetes

import rego.v1

secrets_allowed if settings.allow_secrets == true

reads_secrets if {
	is_string(args.resourceType)
	secret_word(lower(args.resourceType))
}

reads_secrets if {
	tool == "kubectl_generic"
	some word in generic_words
	secret_word(lower(word))
}

# kubectl_generic's resourceType and name (also among generic_words); for every other tool
# operand_words is undefined: read here, so the decision memo (rego/topdown/memo.ts) can
# re-check a call whose resourceType or name changed by this rule's value.
reads_secrets if {
	some word in operand_words
	secret_word(lower(word))
}

# A word naming Secrets as kubectl reads it: "secret", "secrets", a named one ("secret/x"), one
# of the core group ("secrets.", "secrets.v1.", "secrets..", "secrets.v1./x") or one of a list
# ("configmaps,secrets"). The same name in a custom group (secrets.evil.example.com, a CRD's) is not
# Secrets; any other group ("secrets.v1", "secrets.apps", "secrets.v2.") is read as Secrets, since
# the pack cannot tell what kubectl makes of it (resource_types.rego).
secret_word(word) if {
	contains(word, "secret") # most words: one search, no split
	some part in split(word, ",")
	w := split(trim_space(part), "/")[0]
	split(w, ".")[0] in {"secret", "secrets"}
	not custom_group_type(w, secret_type_groups)
}

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
	"context", "cluster", "user", "tls-server-name", "auth-provider", "auth-provider-arg",
	"exec-command", "exec-arg", "exec-api-version", "exec-env", "profile-output", "log-file",
	"cache-dir",
}

# generic_flag_names: argv.rego (long flags normalized, one-letter flags read out of clusters).
deny contains sprintf("Flag '--%s' is not allowed (it changes kubectl's identity or cluster)", [name]) if {
	tool == "kubectl_generic"
	input.phase == "request"
	some name in generic_flag_names
	name in forbidden_flags
	applies
}

# -f/--filename and -k/--kustomize make kubectl read files or fetch URLs on the server's host
# (get -f http://169.254.169.254/...): not the caller's to name. logs -f is --follow.
deny contains sprintf("Flag '--%s' is not allowed (it reads files or URLs on the server's host)", [name]) if {
	tool == "kubectl_generic"
	input.phase == "request"
	some name in generic_flag_names
	file_flag(name)
	applies
}

file_flag(name) if name in {"filename", "kustomize", "k"}

file_flag("f") if verb != "logs"

# Output formats whose argument is a file of kubectl's host, read and printed (rendered as a template:
# plain text comes out as it is), kubectl's alias templatefile included (`-o templatefile
# --template=/etc/passwd`; the server refuses the other three itself, not that one).
file_output_formats := {"go-template-file", "templatefile", "jsonpath-file", "custom-columns-file"}

# What kubectl_generic's command line gives -o/--output: outputFormat (the server writes
# -o=<outputFormat>), --output=X and --output X, -oX, -o=X and -o X (argv.rego: clusters), the
# flags object's {"output": X} (a --output=X word among generic_words).
output_values contains args.outputFormat if {
	tool == "kubectl_generic"
	is_string(args.outputFormat)
}

output_values contains long_value(w) if {
	some w in generic_words
	long_flag(w) in {"output", "o"}
}

output_values contains generic_tokens[i + 1] if {
	some i, token in generic_tokens
	next_word_output(token)
}

next_word_output(w) if {
	long_flag(w) == "output"
	not contains(w, "=")
}

next_word_output(w) if {
	c := short_cluster(w)
	c.last == "o"
	c.value == ""
}

output_values contains c.value if {
	some w in generic_words
	c := short_cluster(w)
	c.last == "o"
	c.value != ""
}

deny contains sprintf("Output format '%s' is not allowed (it reads a file on the server's host)", [v]) if {
	tool == "kubectl_generic"
	input.phase == "request"
	some v in output_values
	is_string(v)
	lower(trim_space(split(v, "=")[0])) in file_output_formats
	applies
}

# {"output": true} in flags is a bare --output, which takes the word after it (in args): not read here.
deny contains "Flag 'output' in flags needs a value (a bare --output takes the next word): denied" if {
	tool == "kubectl_generic"
	input.phase == "request"
	some key, value in object.get(args, "flags", {})
	value == true
	is_string(key)
	split(lower(replace(trim_left(key, "-"), "_", "-")), "=")[0] in {"o", "output"}
	applies
}

# get --raw /api/v1/namespaces/<any>/secrets reads any API path: past the namespace and secret rules.
deny contains "Flag '--raw' is not allowed (it reads any API path, past the namespace and secret rules)" if {
	tool == "kubectl_generic"
	input.phase == "request"
	"raw" in generic_flag_names
	applies
	raw_forbidden
}

raw_forbidden if not secrets_allowed

raw_forbidden if restricted

deny contains sprintf("Context '%s' is not allowed (allowed: %s)", [args.context, concat(", ", sort(settings.allowed_contexts))]) if {
	is_string(args.context)
	args.context != ""
	input.phase == "request"
	settings.allowed_contexts
	not args.context in settings.allowed_contexts
	applies
}

# kubectl_context's set (`kubectl config use-context <name>`, written to the server's kubeconfig)
# makes `name` the current context: every later call without a `context` argument goes there, so it
# must be an allowed context too. The server switches to the part after "cluster/" when the name has
# one (an EKS ARN): that must be allowed as well. (the rule's value is the only exact use of `name`)
context_set_names := {c |
	n := object.get(args, "name", null)
	some c in array.concat([n], [s | is_string(n); contains(n, "cluster/"); s := split(n, "cluster/")[1]])
} if verb == "context-set"

deny contains sprintf("Context '%v' is not allowed (allowed: %s)", [c, concat(", ", sort(settings.allowed_contexts))]) if {
	input.phase == "request"
	settings.allowed_contexts
	some c in context_set_names
	not c in settings.allowed_contexts
	applies
}
