"""The Django app of ``examples/django_receiver.py``: the ``Lead`` model and its migration."""
