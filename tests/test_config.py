import pytest
from conftest import REPO

from pipeline import catalogue, cli, config
from pipeline.errors import ConfigError


def write(tmp_path, text):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "text, needle",
    [
        ("cost:\n  base_usd_per_kms: 1\n", "cost.base_usd_per_kms"),
        ("cost:\n  hdd_usd_per_km: -5\n", "cost.hdd_usd_per_km"),
        ("uncertainty:\n  weights: {cost: 1, beauty: 2}\n", "uncertainty.weights.beauty"),
        ("grid:\n  cell_m: wide\n", "grid.cell_m"),
        ("route:\n  scenarios:\n    x:\n      allowed_countries: [kz]\n", "allowed_countries"),
    ],
)
def test_bad_values_fail_at_load_with_the_key_path(tmp_path, text, needle):
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, text))
    assert needle in str(err.value) and str(tmp_path / "c.yaml") in str(err.value)


def test_cli_reports_config_errors_with_exit_2(tmp_path, capsys):
    code = cli.main(["--config", str(write(tmp_path, "nope: 1\n")), "fetch"])
    assert code == 2
    assert "nope" in capsys.readouterr().err


def test_every_setting_is_documented_with_a_source():
    table = config.doc_table()
    for section, field in config.Config.model_fields.items():
        for key, f in field.annotation.model_fields.items():
            assert f"`{section}.{key}`" in table
            assert f.description, f"{section}.{key} has no description"


def test_a_stage_cannot_read_a_section_it_does_not_declare():
    view = config.StageView(config.Config(), "onward")
    assert view.onward.metro_hop_km > 0
    assert view.dask.n_workers >= 1  # runtime settings are readable by every stage
    with pytest.raises(AttributeError, match="does not declare"):
        _ = view.cost


def test_a_runtime_setting_is_in_no_slice():
    a = config.Config()
    b = config.Config.model_validate({"dask": {"n_workers": 7, "chunk_cells": 64}})
    assert all(config.stage_slice(a, s) == config.stage_slice(b, s) for s in catalogue.STAGES)


def test_readme_carries_the_current_config_table():
    readme = (REPO / "README.md").read_text()
    missing = [row for row in config.doc_table().splitlines() if row not in readme]
    assert not missing, "README config table is stale; paste `python -m pipeline config --doc`"
