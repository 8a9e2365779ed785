"""The integrity check shared by the loader and the gunicorn master (standard library)."""

import json
import subprocess
import sys

import pytest

from tests.helpers.artifacts import DAMAGES
from trainer.artifact import integrity


def test_check_returns_the_bytes_it_checked(tiny_model_dir):
    checked = integrity.check(tiny_model_dir)
    assert checked.manifest_bytes == (tiny_model_dir / "model.json").read_bytes()
    assert checked.weights == (tiny_model_dir / "model.npz").read_bytes()
    assert checked.manifest == json.loads(checked.manifest_bytes)


@pytest.mark.parametrize(("damage", "message"), DAMAGES)
def test_each_damage_is_named_with_its_file(tiny_model_dir, damage, message):
    damage(tiny_model_dir)
    with pytest.raises(integrity.ArtifactError, match=message) as err:
        integrity.check(tiny_model_dir)
    assert str(tiny_model_dir) in str(err.value)


def test_it_needs_no_numpy():
    script = ("import sys; from trainer.artifact import atomic, integrity; "
              "print('numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "False"
