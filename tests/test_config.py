import types
import typing

import pytest
import yaml
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


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "examples").glob("*.yaml")))
def test_every_shipped_example_config_loads_and_the_readme_gives_its_command(name):
    cfg = config.load(REPO / "examples" / name)
    assert cfg.grid.cell_m == {"1km.yaml": 1000, "500m.yaml": 500}[name]
    assert f"make CONFIG=examples/{name}" in (REPO / "README.md").read_text()


@pytest.mark.parametrize(
    "text, key, where",
    [
        (
            "uncertainty:\n  draws: 10\nroute:\n  alternatives: 2\nuncertainty:\n  seed: 3\n",
            "'uncertainty'",
            "lines 1 and 5",
        ),
        (
            "cost:\n  hill_mult: 1.2\n  urban_mult: 2\n  hill_mult: 3\n",
            "'hill_mult'",
            "lines 2 and 4",
        ),
        (
            "route:\n  scenarios:\n    x:\n      allowed_countries: [KZ]\n"
            "      country_cost_mult: {KZ: 1.5, KZ: 2}\n",
            "'KZ'",
            "line 5 (columns 27 and 36)",
        ),
    ],
)
def test_a_key_given_twice_is_refused_with_both_lines(tmp_path, text, key, where):
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, text))
    msg = str(err.value)
    assert str(tmp_path / "c.yaml") in msg and f"key {key} is given twice" in msg
    assert where in msg and "Fix: keep one" in msg


def test_a_yaml_merge_key_may_still_be_overridden(tmp_path):
    text = (
        "route:\n  scenarios:\n    a: &a {allowed_countries: [KZ], description: first}\n"
        "    b:\n      <<: *a\n      description: second\n"
    )
    assert config.load(write(tmp_path, text)).route.scenarios["b"].description == "second"


def test_a_config_not_in_utf8_names_the_file_the_offset_and_the_fix(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("# Coût du câble\ncost:\n  base_usd_per_km: 41000\n".encode("latin-1"))
    with pytest.raises(ConfigError) as err:
        config.load(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: not UTF-8 text")
    assert "byte 0xfb at byte offset 4, line 1" in msg and "save it as UTF-8" in msg


@pytest.mark.parametrize(
    "text, where, allowed, got",
    [
        ("cost:\n  country_mult: {KZ: .inf}\n", "cost.country_mult.KZ", "greater than 0", "inf"),
        (
            "route:\n  scenarios:\n    x:\n      allowed_countries: [KZ]\n"
            "      country_cost_mult: {KZ: .inf}\n",
            "route.scenarios.x.country_cost_mult.KZ",
            "greater than 0",
            "inf",
        ),
        (
            "cost:\n  row_discount_share: {road: .nan}\n",
            "cost.row_discount_share.road",
            "greater than or equal to 0 and less than or equal to 1",
            "nan",
        ),
        ("grid:\n  cell_m: .nan\n", "grid.cell_m", "greater than 0", "nan"),
        ("grid:\n  cell_m: inf\n", "grid.cell_m", "greater than 0", "'inf'"),
        (
            "grid:\n  lon_min_deg: -.inf\n",
            "grid.lon_min_deg",
            "greater than or equal to -180 and less than or equal to 180",
            "-inf",
        ),
        (
            "route:\n  max_alternative_cost_ratio: .inf\n",
            "route.max_alternative_cost_ratio",
            "greater than 1",
            "inf",
        ),
        (
            "route:\n  scenarios:\n    x:\n      allowed_countries: [KZ]\n"
            "      off_gateway_crossing_usd: .inf\n",
            "route.scenarios.x.off_gateway_crossing_usd",
            "greater than or equal to 0",
            "inf",
        ),
        (
            "onward:\n  chokepoints:\n"
            "    - {name: x, polygon_lonlat: [[0, 0], [1, 0], [1, .inf]]}\n",
            "onward.chokepoints.0.polygon_lonlat.2.1",
            "",
            "inf",
        ),
    ],
)
def test_infinite_or_nan_numbers_are_refused_with_the_allowed_range(
    tmp_path, text, where, allowed, got
):
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, text))
    msg = str(err.value)
    assert str(tmp_path / "c.yaml") in msg
    assert f"  - {where}: Input should be a finite number {allowed}".rstrip() in msg
    assert f"(got {got})" in msg


def _float_settings():
    for section, field in config.Config.model_fields.items():
        for key, f in field.annotation.model_fields.items():
            kind = f.annotation
            if typing.get_origin(kind) in (typing.Union, types.UnionType):
                kind = next(a for a in typing.get_args(kind) if a is not type(None))
            if kind is float:
                yield section, key


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_every_float_setting_refuses_infinity_and_nan(tmp_path, value):
    settings = list(_float_settings())
    assert len(settings) > 30
    for section, key in settings:
        with pytest.raises(ConfigError, match=rf"{section}\.{key}: Input should be a finite"):
            config.load(write(tmp_path, f"{section}:\n  {key}: {value}\n"))


def test_the_default_places_come_from_world_yaml_each_with_its_source():
    cfg = config.Config()
    world = yaml.safe_load((REPO / "pipeline" / "world.yaml").read_text(encoding="utf-8"))
    assert [g.name for g in cfg.gateways.listed] == [g["name"] for g in world["gateways"]["listed"]]
    assert [h.name for h in cfg.onward.hubs] == [h["name"] for h in world["onward"]["hubs"]]
    assert cfg.route.origins[0].name == world["route"]["origins"][0]["name"]
    places = [
        *cfg.gateways.listed,
        *cfg.score.reference_corridors,
        *cfg.onward.hubs,
        cfg.onward.incumbent_gateway,
        *cfg.onward.chokepoints,
    ]
    assert all(p.source for p in places)
    # each config owns its values: changing one cannot change the next config's defaults
    cfg.onward.hubs.pop()
    assert len(config.Config().onward.hubs) == len(world["onward"]["hubs"])


def test_world_yaml_is_shipped_with_the_package():
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"world.yaml"' in pyproject


@pytest.mark.parametrize(
    "old, new, needle",
    [
        (b"lat_deg: 37.446", b"lat_deg: 137.446", "gateways.listed.1.lat_deg"),
        (b"kind: road", b"kind: ferry", "gateways.listed.2.kind"),
        (b"TM: [679.0, 721.0]", b"TM: [679.0, .inf]", "km_by_country.TM.1"),
        (b"  chokepoints:", b"  chokepoint:", "onward.chokepoint: not a setting kept here"),
        (b"    - name: Karachi\n", b"    - name: Karachi\n      name: K\n", "key 'name' is given"),
    ],
)
def test_a_bad_entry_in_world_yaml_names_the_file_and_the_key(old, new, needle):
    raw = (REPO / "pipeline" / "world.yaml").read_bytes()
    assert old in raw
    with pytest.raises(ConfigError) as err:
        config._parse_world(raw.replace(old, new, 1), "pipeline/world.yaml")
    assert str(err.value).startswith("pipeline/world.yaml: ") and needle in str(err.value)
