package io.osdeploy.daemon.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.osdeploy.daemon.http.RangeRequest.Part;
import io.osdeploy.daemon.http.RangeRequest.Unsatisfiable;
import io.osdeploy.daemon.http.RangeRequest.Whole;
import org.junit.jupiter.api.Test;

class RangeHeaderTest {
  @Test
  void noHeaderOrAnotherUnitMeansTheWholeFile() {
    assertEquals(new Whole(), RangeHeader.parse(null, 100));
    assertEquals(new Whole(), RangeHeader.parse("", 100));
    assertEquals(new Whole(), RangeHeader.parse("items=0-5", 100));
  }

  @Test
  void readsTheThreeFormsOfOneRange() {
    assertEquals(new Part(10, 19), RangeHeader.parse("bytes=10-19", 100));
    assertEquals(new Part(90, 99), RangeHeader.parse("bytes=90-", 100));
    assertEquals(new Part(95, 99), RangeHeader.parse("bytes=-5", 100));
    assertEquals(new Part(0, 99), RangeHeader.parse("bytes=-500", 100));
    assertEquals(new Part(50, 99), RangeHeader.parse("Bytes = 50-1000", 100));
  }

  @Test
  void severalRangesGetTheWholeFile() {
    assertEquals(new Whole(), RangeHeader.parse("bytes=0-1,5-9", 100));
  }

  @Test
  void rejectsRangesPastTheEndOrMalformed() {
    assertEquals(new Unsatisfiable(), RangeHeader.parse("bytes=100-", 100));
    assertEquals(new Unsatisfiable(), RangeHeader.parse("bytes=200-300", 100));
    assertEquals(new Unsatisfiable(), RangeHeader.parse("bytes=-0", 100));
    assertEquals(new Unsatisfiable(), RangeHeader.parse("bytes=20-10", 100));
    assertEquals(new Unsatisfiable(), RangeHeader.parse("bytes=abc", 100));
    assertEquals(new Unsatisfiable(), RangeHeader.parse("bytes=-", 100));
    assertEquals(new Unsatisfiable(), RangeHeader.parse("bytes=99999999999999999999-", 100));
    assertEquals(new Unsatisfiable(), RangeHeader.parse("bytes=0-", 0));
  }

  @Test
  void aHugeLastPositionEndsAtTheFile() {
    assertEquals(new Part(0, 99), RangeHeader.parse("bytes=0-99999999999999999999", 100));
  }
}
