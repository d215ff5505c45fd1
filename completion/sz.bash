# SPDX-License-Identifier: MIT
# sz.bash - bash completion for sz and every sz-TOOL, read from the tools'
# own --help, so that it says what the installed programs take.
#
# Installed as bash-completion/completions/sz, and under the name of each
# tool (links to it), which is where bash-completion looks when a command
# is first completed. Sourced alone (. sz.bash) it works too.
#
# What is completed, all from `sz-TOOL [SUBCOMMAND] --help`:
# - options: the option lines (up to 8 spaces, then "-x, --name" or
#   "--name"); --name=ARG is offered as "--name=", --name[=ARG] and
#   --name ARG as "--name";
# - an option's value (after --name=, or in the next word when the help
#   writes it --name ARG or -x, --name=ARG): the words of an ARG written
#   a|b|c (--on-error=fail|skip|dlq) or as one lower-case word; files for
#   FILE (and SCHEMA, OLD, NEW, TEMPLATE, DEST), directories for DIR,
#   commands for COMMAND; nothing for other values (EXPR, N, DURATION);
# - subcommands: the usage lines' second word, when it is lower case
#   (sz-redis add|read|ack|info, sz-publish pin);
# - operands: files;
# - sz: the tools that `sz` lists, and help; after `sz TOOL`, the tool's.
# Each --help is run once per shell and kept (_sz_help_text).

declare -gA _sz_help_text

# The --help of "PROG [SUB]", run once.
_sz_help() {
	local key="$*"
	if [[ -z ${_sz_help_text[$key]+set} ]]; then
		_sz_help_text[$key]=$(LC_ALL=C "$@" --help 2>/dev/null)
	fi
	printf '%s\n' "${_sz_help_text[$key]}"
}

# The subcommands of PROG, one a line.
_sz_subcommands() {
	local l re="^(Usage:|  or:)? +$1 ([a-z][a-z0-9|-]*)( |$)"
	while IFS= read -r l; do
		[[ $l =~ $re ]] && printf '%s\n' ${BASH_REMATCH[2]//|/ }
	done < <(_sz_help "$1")
}

# Read the option lines of a help into _sz_kind[opt] (eq: --opt=ARG, whose
# value may also be the next word; opt: --opt[=ARG]; sep: --opt ARG; none)
# and _sz_arg[opt].
_sz_parse() {
	local l rest short name arg
	local re='^ {1,8}(-([A-Za-z0-9]), )?--([a-z][a-z0-9-]*)(.*)$'
	_sz_kind=() _sz_arg=() _sz_opts=()
	while IFS= read -r l; do
		[[ $l =~ $re ]] || continue
		short=${BASH_REMATCH[2]} name=--${BASH_REMATCH[3]}
		rest=${BASH_REMATCH[4]}
		case $rest in
		'[='*)	arg=${rest#'[='}; arg=${arg%%']'*}
			_sz_kind[$name]=opt; _sz_opts+=("$name") ;;
		=*)	arg=${rest#=}; arg=${arg%%'  '*}
			_sz_kind[$name]=eq; _sz_opts+=("$name=") ;;
		' '[!' ']*)
			arg=${rest# }; arg=${arg%%'  '*}
			_sz_kind[$name]=sep; _sz_opts+=("$name") ;;
		*)	arg=; _sz_kind[$name]=none; _sz_opts+=("$name") ;;
		esac
		_sz_arg[$name]=$arg
		if [[ -n $short ]]; then
			_sz_opts+=("-$short")
			if [[ -n $arg && ${_sz_kind[$name]} != opt ]]; then
				_sz_kind[-$short]=sep
			else
				_sz_kind[-$short]=none
			fi
			_sz_arg[-$short]=$arg
		fi
	done
}

# COMPREPLY for a value written ARG in the help, the word so far $2.
_sz_values() {
	local arg=$1 cur=$2
	if [[ $arg =~ ^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*$ ]]; then
		mapfile -t COMPREPLY < <(compgen -W "${arg//|/ }" -- "$cur")
		return
	fi
	case $arg in
	*DIR)	compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
	*FILE|SCHEMA|OLD|NEW|*TEMPLATE|DEST)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
	COMMAND)
		mapfile -t COMPREPLY < <(compgen -c -- "$cur") ;;
	*)	COMPREPLY=() ;;
	esac
}

# Complete words[cword] of the tool words[0] (PROG), words given whole
# ("--opt=val" one word).
_sz_tool() {
	local prog=$1 cword=$2; shift 2
	local -a words=("$@")
	local cur=${words[cword]} prev=${words[cword-1]} sub= w i
	local -A _sz_kind _sz_arg
	local -a _sz_opts subs
	mapfile -t subs < <(_sz_subcommands "$prog")
	for ((i = 1; i < cword; i++)); do
		for w in "${subs[@]}"; do
			[[ ${words[i]} == "$w" ]] && sub=$w && break 2
		done
	done
	_sz_parse < <(_sz_help "$prog" $sub)
	# A value in the next word: "--opt ARG" or "-x ARG" (and the second
	# of two, --slurpfile NAME FILE).
	if ((cword > 1)) && [[ ${_sz_kind[$prev]} == sep ||
	    ${_sz_kind[$prev]} == eq ]]; then
		_sz_values "${_sz_arg[$prev]%% *}" "$cur"
		return
	fi
	if ((cword > 2)) && [[ ${_sz_kind[${words[cword-2]}]} == sep &&
	    ${_sz_arg[${words[cword-2]}]} == *' '* ]]; then
		_sz_values "${_sz_arg[${words[cword-2]}]#* }" "$cur"
		return
	fi
	case $cur in
	--*=*)
		_sz_values "${_sz_arg[${cur%%=*}]}" "${cur#*=}"
		if [[ $COMP_WORDBREAKS != *=* ]]; then
			COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
		fi
		return ;;
	-*)
		mapfile -t COMPREPLY < <(compgen -W "${_sz_opts[*]}" -- "$cur")
		[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] &&
		    compopt -o nospace 2>/dev/null
		return ;;
	esac
	if [[ ${#subs[@]} -gt 0 && -z $sub ]]; then
		mapfile -t COMPREPLY < <(compgen -W "${subs[*]}" -- "$cur")
		# A subcommand is needed when the first usage line starts
		# with it (sz-redis add|read|...); else FILEs may come instead
		# (sz-publish).
		w='^Usage: +[^ ]+ [a-z]'
		[[ $(_sz_help "$prog" | head -n 1) =~ $w ]] && return
	fi
	compopt -o filenames 2>/dev/null
	local -a files
	mapfile -t files < <(compgen -f -- "$cur")
	COMPREPLY+=("${files[@]}")
}

# The words of the line, "--opt", "=", "val" joined back into one, up to
# the cursor; then the tool's completion (or sz's).
_sz() {
	local -a words=()
	local i n=-1 cword=0 join=0
	for ((i = 0; i <= COMP_CWORD && i < ${#COMP_WORDS[@]}; i++)); do
		if [[ ${COMP_WORDS[i]} == = && n -ge 0 && ${words[n]} == --* &&
		    ${words[n]} != *=* ]]; then
			words[n]+==; join=1
		elif ((join)); then
			words[n]+=${COMP_WORDS[i]}; join=0
		else
			words[++n]=${COMP_WORDS[i]}
		fi
		((i == COMP_CWORD)) && cword=$n
	done
	((COMP_CWORD >= ${#COMP_WORDS[@]})) && words[++n]= && cword=$n
	COMPREPLY=()
	if [[ ${words[0]##*/} != sz ]]; then
		_sz_tool "${words[0]}" "$cword" "${words[@]}"
		return
	fi
	# sz [-hV] TOOL ARG..., sz help TOOL
	local -a tools
	mapfile -t tools < <("${words[0]}" 2>/dev/null |
	    sed -n 's/^  \([a-z0-9-]*\)  .*/\1/p')
	if ((cword == 1)); then
		mapfile -t COMPREPLY < <(compgen -W \
		    "${tools[*]} help -h -V --help --version" -- "${words[1]}")
	elif [[ ${words[1]} == help ]]; then
		((cword == 2)) && mapfile -t COMPREPLY < <(compgen -W \
		    "${tools[*]}" -- "${words[2]}")
	elif [[ ${words[1]} != -* ]]; then
		local t=${words[1]#sz-}
		words[1]=sz-$t
		_sz_tool "sz-$t" $((cword - 1)) "${words[@]:1}"
	fi
}

complete -F _sz sz $(compgen -c sz- | sort -u)
