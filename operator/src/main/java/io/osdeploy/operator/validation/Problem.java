package io.osdeploy.operator.validation;

/** One error in one resource: the JSON pointer of the field, and what is wrong with it. */
public record Problem(String pointer, String message) {
  /**
   * {@code /spec/target/machines/0/mac} as people write it: {@code spec.target.machines[0].mac}.
   */
  public String field() {
    StringBuilder out = new StringBuilder();
    for (String part : pointer.split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      String name = part.replace("~1", "/").replace("~0", "~");
      if (name.chars().allMatch(Character::isDigit)) {
        out.append('[').append(name).append(']');
      } else {
        if (out.length() > 0) {
          out.append('.');
        }
        out.append(name);
      }
    }
    return out.length() == 0 ? "(document)" : out.toString();
  }
}
