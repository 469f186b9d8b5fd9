from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

__version__: str

class Error(RuntimeError): ...

class Value:
    name: str
    dtype: str
    dims: Tuple[Union[int, str, None], ...]

class Function:
    name: str
    inputs: List[Value]
    outputs: List[Value]
    def __call__(
        self, *arrays: np.ndarray, device: str = ..., **named: np.ndarray
    ) -> Union[np.ndarray, Tuple[np.ndarray, ...]]: ...

class Module:
    @property
    def functions(self) -> List[str]: ...
    def __getitem__(self, name: str) -> Function: ...
    def __contains__(self, name: str) -> bool: ...
    def save(self, path: str) -> None: ...
    def to_bytes(self) -> bytes: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    def __enter__(self) -> "Module": ...
    def __exit__(self, *exc: Any) -> None: ...

def compile(
    path: str,
    *,
    decoder: Optional[str] = ...,
    binds: Sequence[str] = ...,
    target: str = ...,
    masked_rows: str = ...,
    fusion: bool = ...,
) -> Module: ...
def load(path: str) -> Module: ...
def load_bytes(data: bytes, name: str = ...) -> Module: ...
def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...

class TranslationResult:
    hypotheses: List[Union[str, List[Any]]]  # strings with a target SentencePiece model
    scores: List[float]
    attention: List[np.ndarray]
    log_probs: List[List[float]]  # per token, then </s>'s (with return_log_prob)

class ScoringResult:
    log_probs: List[float]
    tokens: List[Any]

class Translator:
    module: Module
    device: str
    def __init__(
        self,
        module_or_path: Union[str, Module],
        device: str = ...,
        threads: Optional[int] = ...,
        source_vocabulary: Optional[str] = ...,
        target_vocabulary: Optional[str] = ...,
        bos: int = ...,
        eos: int = ...,
        pad: int = ...,
        source_spm: Optional[str] = ...,
        target_spm: Optional[str] = ...,
        unk: Optional[int] = ...,
    ) -> None: ...
    def translate_batch(
        self,
        source: Sequence[Union[str, Sequence[Union[int, str]]]],
        beam_size: Optional[int] = ...,
        num_hypotheses: int = ...,
        length_penalty: float = ...,
        max_decoding_length: int = ...,
        min_decoding_length: int = ...,
        sampling_topk: int = ...,
        sampling_topp: float = ...,
        sampling_temperature: float = ...,
        repetition_penalty: float = ...,
        no_repeat_ngram_size: int = ...,
        target_prefix: Optional[Sequence[Optional[Sequence[Any]]]] = ...,
        return_scores: bool = ...,
        return_attention: bool = ...,
        max_batch_size: int = ...,
        batch_type: str = ...,
        seed: int = ...,
        return_log_prob: bool = ...,
    ) -> List[TranslationResult]: ...
    def score_batch(
        self,
        source: Sequence[Union[str, Sequence[Union[int, str]]]],
        target: Sequence[Union[str, Sequence[Union[int, str]]]],
        max_batch_size: int = ...,
        batch_type: str = ...,
    ) -> List[ScoringResult]: ...
