"""``torch.hub``: importable; loading models from the network raises (backchain fetches nothing)."""


def load(repo_or_dir, model, *args, **kwargs):
    """Raises: backchain does not download models.

    >>> import backchain.torch as torch
    >>> torch.hub.load("pytorch/vision", "resnet18")
    Traceback (most recent call last):
    RuntimeError: torch.hub.load: backchain does not download models; ...
    """
    raise RuntimeError("torch.hub.load: backchain does not download models; load saved weights with "
                       "torch.load(path) into a model you build")


def load_state_dict_from_url(url, *args, **kwargs):
    """Raises: backchain does not download weights.

    >>> import backchain.torch as torch
    >>> torch.hub.load_state_dict_from_url("https://example.com/w.pth")
    Traceback (most recent call last):
    RuntimeError: torch.hub.load_state_dict_from_url: backchain does not download weights; ...
    """
    raise RuntimeError("torch.hub.load_state_dict_from_url: backchain does not download weights; download the "
                       "file yourself and load it with torch.load (safetensors files only)")
