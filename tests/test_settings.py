import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env):
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    environment.update(env, DJANGO_SETTINGS_MODULE="tracker.settings")
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_check(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_a_weak_secret_key():
    result = run_check(DEBUG="0", SECRET_KEY="short")
    assert result.returncode != 0
    assert "too weak" in result.stderr


def test_development_starts_without_a_secret_key():
    result = run_check(DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_unreadable_boolean_is_refused():
    result = run_check(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_a_file_cache_is_shared_by_separate_processes(tmp_path):
    # Two processes (as two gunicorn workers) with CACHE_URL=file://…: what one stores, the other reads.
    def shell(code):
        environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}}
        environment.update(DEBUG="1", CACHE_URL=f"file://{tmp_path}", DJANGO_SETTINGS_MODULE="tracker.settings")
        return subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
        )

    stored = shell("from django.core.cache import cache; cache.set('page', 'rendered once', 60)")
    assert stored.returncode == 0, stored.stderr
    read = shell("from django.core.cache import cache; print(cache.get('page'))")
    assert read.stdout.strip().splitlines()[-1] == "rendered once", read.stderr


def test_an_unknown_cache_url_is_refused():
    result = run_check(DEBUG="1", CACHE_URL="memcached://127.0.0.1")
    assert result.returncode != 0
    assert "CACHE_URL must start with" in result.stderr


def test_checking_migrations_needs_no_secret_key():
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_the_web_server_refuses_to_start_without_a_secret_key():
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    environment.update(DEBUG="0", DJANGO_SETTINGS_MODULE="tracker.settings")
    result = subprocess.run([sys.executable, "-c", "import tracker.wsgi"], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
