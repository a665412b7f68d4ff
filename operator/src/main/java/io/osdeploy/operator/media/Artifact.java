package io.osdeploy.operator.media;

import java.nio.file.Path;

/**
 * A built boot media: a hybrid ISO (CD/DVD and USB) named by its content's SHA-256.
 *
 * @param path the file, {@code <output directory>/<sha256>.iso}
 * @param sha256 SHA-256 of the file, hex
 * @param sizeBytes size of the file
 * @param inputsDigest {@link MediaInputs#digest()} of the inputs it was built from
 */
public record Artifact(Path path, String sha256, long sizeBytes, String inputsDigest) {}
