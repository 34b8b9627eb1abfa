# bash completion for dlstudy (installed to share/bash-completion/completions/dlstudy)
_dlstudy() {
    local cur prev words cword
    _init_completion 2>/dev/null || { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
    local commands="review sync due mastery note new edit sched lab data bench doctor help"
    local global="--notes --db --data --plain --no-color --help --version"
    case $prev in
        --notes|--data|--dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --db|--export) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --device) COMPREPLY=($(compgen -W "cpu cuda" -- "$cur")); return ;;
        --model) COMPREPLY=($(compgen -W "mlp cnn all" -- "$cur")); return ;;
        --fuzz) COMPREPLY=($(compgen -W "on off" -- "$cur")); return ;;
        --norm) COMPREPLY=($(compgen -W "mnist unit" -- "$cur")); return ;;
    esac
    local cmd="" i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --notes|--db|--data) ((i++)) ;;
            -*) ;;
            *) cmd=${words[i]}; break ;;
        esac
    done
    case $cmd in
        "") COMPREPLY=($(compgen -W "$commands $global" -- "$cur")) ;;
        lab)
            # the source tree's labs/, else the installed ones beside the program (any PREFIX)
            local labs_dir=${DLSTUDY_LABS:-labs} bin
            if [ ! -d "$labs_dir" ] && bin=$(type -P dlstudy); then labs_dir=${bin%/bin/*}/share/dlstudy/labs; fi
            local labs=$(ls "$labs_dir" 2>/dev/null | sed -n 's/\.yaml$//p')
            COMPREPLY=($(compgen -W "list show results $labs --epochs --batch --lr --seed --device --data --variants --threads --plain --json --resume --export --all --help" -- "$cur")) ;;
        note) COMPREPLY=($(compgen -W "show repair --json --help" -- "$cur") $(compgen -f -- "$cur")) ;;
        edit) COMPREPLY=($(compgen -f -- "$cur")) ;;
        sched) COMPREPLY=($(compgen -W "simulate settings set --retention --learning-steps --relearning-steps --fuzz --maximum-interval --help" -- "$cur")) ;;
        data) COMPREPLY=($(compgen -W "list fetch mnist fashion-mnist --quick --dir --help" -- "$cur")) ;;
        bench) COMPREPLY=($(compgen -W "--model --threads --device --json --seconds --no-torch --epoch --norm --data --help" -- "$cur")) ;;
        new) COMPREPLY=($(compgen -W "--category --tags --help" -- "$cur")) ;;
        review) COMPREPLY=($(compgen -W "--plain --new --note --no-sync --help" -- "$cur")) ;;
        sync) COMPREPLY=($(compgen -W "--quiet --help" -- "$cur")) ;;
        due) COMPREPLY=($(compgen -W "--days --no-sync --help" -- "$cur")) ;;
        mastery) COMPREPLY=($(compgen -W "--categories --weeks --no-sync --help" -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "--help --plain" -- "$cur")) ;;
    esac
}
complete -F _dlstudy dlstudy
