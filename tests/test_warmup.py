"""A web worker loads its URLs, translations and templates before its first reader."""

import gc

from django.template import engines

from tracker import warmup


def test_a_worker_compiles_every_public_template_before_its_first_request():
    loader = engines["django"].engine.template_loaders[0]
    loader.reset()
    names = list(warmup.public_templates())
    assert "cases/case_detail.html" in names and "base.html" in names and "cases/_pages.html" in names
    try:
        warmup.warm_up()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    cached = {key.split(":")[0] if isinstance(key, str) else key for key in loader.get_template_cache}
    assert set(names) <= cached


def test_loading_the_wsgi_application_warms_the_worker_up():
    import os
    import subprocess
    import sys

    root = warmup.Path(warmup.__file__).resolve().parent.parent
    code = (
        "import gc, tracker.wsgi\n"
        "from django.template import engines\n"
        "loader = engines['django'].engine.template_loaders[0]\n"
        "print(gc.get_freeze_count() > 0, any(str(k).startswith('cases/case_detail.html') for k in loader.get_template_cache))"
    )
    environment = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "tracker.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=root, env=environment, capture_output=True, text=True)
    assert result.stdout.split() == ["True", "True"], result.stderr
