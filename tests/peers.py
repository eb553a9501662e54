"""The peers of the oracle tests, paired with the fastseg call that does the same work.

Taken from the registry of :mod:`fastseg.bench.peers`, which the benchmarks time: each peer takes
(samples, k, max_iter, attempts, seed) and returns (labels, centers, compactness), with the same
number of center updates and attempts as its fastseg twin, and k-means++ seeding where the peer
has it (faiss has only random seeding, and is paired with fastseg seeded at random rows).
"""

from fastseg.bench.peers import CANNY_METHODS, KMEANS_METHODS

#: peer name -> (peer function, the fastseg function that does the same work)
KMEANS_PEERS = {
    name: (method.function, KMEANS_METHODS[method.twin].function)
    for name, method in KMEANS_METHODS.items()
    if method.twin is not None
}

#: The Canny peers held to zero differing pixels: (image, low, high, aperture_size, l2_gradient)
#: -> edges, paired with the fastseg function (scikit-image's Canny is a peer for time only).
CANNY_PEERS = {
    "cv2.Canny": (CANNY_METHODS["cv2.Canny"].function, CANNY_METHODS["fastseg"].function)
}
