package io.osdeploy.daemon.content;

import java.nio.file.Path;

/** A copy of an image whose bytes matched its SHA-256 (lower-case hex) on this node. */
public record VerifiedFile(String image, String sha256, Path path, long size) {}
