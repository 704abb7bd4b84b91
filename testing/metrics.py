"""Reading a ``/metrics`` page the way Prometheus does: prometheus-client's own parser."""

import requests
from prometheus_client.parser import text_string_to_metric_families


class Samples:
    """Every sample of one scrape, looked up by name and a subset of its labels."""

    def __init__(self, text: str):
        self.text = text
        self.samples = [(sample.name, sample.labels, sample.value)
                        for family in text_string_to_metric_families(text) for sample in family.samples]

    def total(self, name: str, **labels: str) -> float:
        """The sum of the samples called ``name`` whose labels include ``labels`` (0 when none)."""
        return sum(value for sample, sample_labels, value in self.samples
                   if sample == name and all(sample_labels.get(k) == v for k, v in labels.items()))

    def by(self, name: str, label: str, **labels: str) -> dict[str, float]:
        """``name``'s samples matching ``labels``, summed by the value of ``label``."""
        out: dict[str, float] = {}
        for sample, sample_labels, value in self.samples:
            if sample == name and all(sample_labels.get(k) == v for k, v in labels.items()):
                out[sample_labels.get(label, "")] = out.get(sample_labels.get(label, ""), 0) + value
        return out


def scrape(url: str) -> Samples:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, (response.status_code, response.text[:500])
    assert response.headers["Content-Type"].startswith("text/plain"), response.headers["Content-Type"]
    return Samples(response.text)
