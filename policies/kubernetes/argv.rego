# kubectl's command line as mcp-server-kubernetes builds it from a call's arguments, for the pack's
# rules (same package as kubernetes.rego), read as kubectl's flag parser (pflag) reads it:
#   - The server puts resourceType, name, namespace, subCommand, command and context on kubectl's
#     command line as they come, whatever their JSON type (Node turns ["-A"] into "-A", ["x"] into
#     "x"): each must be a string (or null, which the server skips), and resourceType, name,
#     namespace, subCommand and command must not start with "-" (kubectl reads a value such as
#     name: "--namespace=kube-system" or "-A" as a flag, wherever it stands). kubectl_generic's
#     `args` must be an array of strings, and its `flags` values strings, numbers or booleans.
#   - kubectl_generic's words: command and subCommand split on spaces, resourceType, name, then
#     args, in the server's order; and the --key / --key=value tokens the server makes of `flags`.
#   - A word "-xyz" is a cluster of one-letter flags (-x -y -z) read up to the first letter that
#     takes a value (-c -k -l -L -n -o -s -v) or is followed by "="; the rest of the word, after an
#     optional "=", is that value ("-pnkube-system" is -p -n kube-system). A long flag's name is
#     compared in lower case with "_" read as "-" (pflag's normalization: --all_namespaces).
package mcp.packs.kubernetes

import rego.v1

# JavaScript's truth, as the server tests an argument (`if (input.allNamespaces)`).
truthy(v) if not v in {false, null, 0, ""}

# Arguments the server passes to kubectl as they are: a string, or null (skipped by the server).
# One complete rule each (a scalar value): the decision memo re-checks only these when one changes.
resource_type_problem := operand_problem("resourceType", args.resourceType)

name_problem := operand_problem("name", args.name)

namespace_problem := operand_problem("namespace", args.namespace)

sub_command_problem := operand_problem("subCommand", args.subCommand)

# exec_in_pod's and pods_exec's command is what runs in the container
command_problem := operand_problem("command", args.command) if not tool in {"exec_in_pod", "pods_exec"}

context_problem := string_problem("context", args.context)

# kubectl_generic writes it as -o=<outputFormat>
output_format_problem := string_problem("outputFormat", args.outputFormat) if tool == "kubectl_generic"

argument_problems contains resource_type_problem

argument_problems contains name_problem

argument_problems contains namespace_problem

argument_problems contains sub_command_problem

argument_problems contains command_problem

argument_problems contains context_problem

argument_problems contains output_format_problem

argument_problems contains "Argument 'args' must be an array of strings: denied" if {
	tool == "kubectl_generic"
	a := args.args
	a != null
	not is_array(a)
}

argument_problems contains "Argument 'args' must be an array of strings: denied" if {
	tool == "kubectl_generic"
	some a in args.args
	not is_string(a)
}

argument_problems contains sprintf("Flag '%s' must have a string, number or boolean value: denied", [key]) if {
	tool == "kubectl_generic"
	some key, value in object.get(args, "flags", {})
	not is_string(value)
	not is_number(value)
	not is_boolean(value)
	value != null
}

argument_problems contains "Argument 'flags' must be an object: denied" if {
	tool == "kubectl_generic"
	f := args.flags
	f != null
	not is_object(f)
}

operand_problem(key, v) := p if {
	p := string_problem(key, v)
} else := sprintf("Argument '%s' starts with '-' (kubectl would read it as a flag): denied", [key]) if {
	is_string(v)
	startswith(v, "-")
}

string_problem(key, v) := sprintf("Argument '%s' must be a string (got %s): denied", [key, type_name(v)]) if {
	not is_string(v)
	v != null
}

deny contains p if {
	input.phase == "request"
	input.tool
	applies
	some p in argument_problems
}

# kubectl_generic's positional words, in the server's order (flags come from `flags`).
operand_words := [w | some w in [object.get(args, "resourceType", ""), object.get(args, "name", "")]; is_string(w); w != ""] if {
	tool == "kubectl_generic"
}

# The tokens the server makes of kubectl_generic's `flags` ({key: true}: --key; a value: --key=value).
flag_tokens contains sprintf("--%s", [key]) if {
	some key, value in object.get(args, "flags", {})
	value == true
}

flag_tokens contains sprintf("--%s=%v", [key, value]) if {
	some key, value in object.get(args, "flags", {})
	not is_boolean(value)
	value != null
}

# Every word of kubectl_generic's command line, each on its own.
generic_words contains w if {
	some w in generic_tokens
	is_string(w)
}

generic_words contains w if some w in flag_tokens

# The normalized name of a long flag word ("--All_Namespaces=1" -> "all-namespaces").
long_flag(w) := lower(replace(split(trim_left(substring(w, 2, -1), "-"), "=")[0], "_", "-")) if {
	is_string(w)
	startswith(w, "--")
	count(w) > 2
}

# The value written in a long flag word after "=" (undefined when there is none).
long_value(w) := substring(w, i + 1, -1) if {
	is_string(w)
	startswith(w, "--")
	i := indexof(w, "=")
	i > 0
}

short_value_letters := {"c", "k", "l", "L", "n", "o", "s", "v"}

# A word "-xyz" read as pflag reads it: the letters taken as flags, the last of them, and the value
# written after it ("" when none: a letter that takes a value then takes the next word).
short_cluster(w) := {"letters": letters, "last": substring(body, stop, 1), "value": trim_prefix(substring(body, stop + 1, -1), "=")} if {
	is_string(w)
	startswith(w, "-")
	not startswith(w, "--")
	body := substring(w, 1, -1)
	n := count(body)
	n > 0
	stop := min({i | some i in numbers.range(0, n - 1); short_stop(body, i)} | {n - 1})
	letters := {substring(body, i, 1) | some i in numbers.range(0, stop)}
}

short_stop(body, i) if substring(body, i, 1) in short_value_letters

short_stop(body, i) if substring(body, i + 1, 1) == "="

# Names of the flags on kubectl_generic's command line (one-letter ones as their letter).
generic_flag_names contains long_flag(w) if some w in generic_words

generic_flag_names contains letter if {
	some w in generic_words
	some letter in short_cluster(w).letters
}
