"""jieba's HMM for the runs of characters its dictionary does not cover (``jieba.finalseg``), with the Viterbi
states it picks shown, so the tokenizer explorer can draw why an unknown word was cut where it was."""
from __future__ import annotations

import jieba.finalseg as finalseg

NOT_VITERBI = "·"  # state letter for characters inside an HMM span that the Viterbi pass never sees


def hmm_cut(buf: str) -> tuple[str, list[str]]:
    """``jieba.finalseg.cut`` with its Viterbi states shown: B/M/E/S per Han character, '·' for the rest."""
    states, words = [], []
    for piece in finalseg.re_han.split(buf):
        if not piece:
            continue
        if not finalseg.re_han.match(piece):
            states.append(NOT_VITERBI * len(piece))
            words += [x for x in finalseg.re_skip.split(piece) if x]
            continue
        _, path = finalseg.viterbi(piece, "BMES", finalseg.start_P, finalseg.trans_P, finalseg.emit_P)
        states.append("".join(path))
        for word in words_from_states(piece, path):
            words += list(word) if word in finalseg.Force_Split_Words else [word]
    return "".join(states), words


def words_from_states(chars: str, states: list[str]) -> list[str]:
    """A word ends at each E (begun at the last B) or S; a trailing unfinished word is kept whole, as jieba does."""
    words, begin, nexti = [], 0, 0
    for i, state in enumerate(states):
        if state == "B":
            begin = i
        elif state == "E":
            words.append(chars[begin:i + 1])
            nexti = i + 1
        elif state == "S":
            words.append(chars[i])
            nexti = i + 1
    return words + ([chars[nexti:]] if nexti < len(chars) else [])
