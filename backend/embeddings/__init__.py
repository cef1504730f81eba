"""Embeddings: word2vec trained live, embedding matrices and residual streams as points, projections, file formats.

Qt-free. ``word2vec`` trains as a generator job; ``vectors`` answers neighbours, analogies and analogy evaluations;
``projection`` maps points to 2-D/3-D (exact PCA, t-SNE, UMAP); ``formats`` reads and writes word2vec and
TensorBoard projector files; ``sources`` turns a model, a word2vec run or a trace into points.
"""
