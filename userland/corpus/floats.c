// Float formatting and parsing: printf of many values in every conversion, strtod
// round trips, and libm results printed to fixed precision.
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    const double values[] = { 0.0, -0.0, 1.0, -1.5, 0.1, 1.0 / 3.0, 2.0 / 3.0, 123456789.125, 1e-7, 6.02214076e23,
                              1.7976931348623157e308, 2.2250738585072014e-308, 4.9e-324, 3.141592653589793,
                              2.718281828459045, 1e21, 1e22, 0.5, 0.25, 1234.5 };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; ++i) {
        double v = values[i];
        printf("%%f=%f %%.3e=%.3e %%g=%g %%.17g=%.17g %%a=%a\n", v, v, v, v, v);
    }
    printf("inf=%f -inf=%f nan=%f %e %g\n", INFINITY, -INFINITY, NAN, INFINITY, -NAN);
    printf("widths: [%10.3f] [%-10.2f] [%+.1f] [%010.4f] [% f]\n", 3.14159, 2.5, 7.25, -1.5, 1.0);
    printf("floats: %f %.9g %.9g\n", 1.1f, (double)FLT_MAX, (double)FLT_MIN);

    int round_trips = 0, total = 0;
    for (int i = -300; i <= 300; i += 7) {
        for (int m = 1; m < 10; ++m) {
            double v = m * pow(10.0, i) / 7.0;
            char text[64];
            snprintf(text, sizeof text, "%.17g", v);
            double back = strtod(text, NULL);
            ++total;
            round_trips += memcmp(&back, &v, sizeof v) == 0;
        }
    }
    printf("strtod round trips: %d of %d\n", round_trips, total);
    printf("strtod parses: %g %g %g %g %g\n", strtod("1e10", NULL), strtod("-0x1.8p1", NULL), strtod("  42.5xyz", NULL),
           strtod("inf", NULL), strtod(".125", NULL));
    printf("atof=%f strtof=%f\n", atof("2.75"), (double)strtof("0.1", NULL));

    printf("sqrt(2)=%.15f cbrt(27)=%.15f\n", sqrt(2.0), cbrt(27.0));
    printf("sin(1)=%.15f cos(1)=%.15f tan(1)=%.15f\n", sin(1.0), cos(1.0), tan(1.0));
    printf("exp(1)=%.15f log(10)=%.15f log2(1024)=%.15f log10(0.001)=%.15f\n", exp(1.0), log(10.0), log2(1024.0),
           log10(0.001));
    printf("pow(2,0.5)=%.15f atan2(1,1)=%.15f hypot(3,4)=%.15f\n", pow(2.0, 0.5), atan2(1.0, 1.0), hypot(3.0, 4.0));
    printf("floor(-2.5)=%g ceil(-2.5)=%g round(2.5)=%g trunc(-2.7)=%g fmod(7,3)=%g\n", floor(-2.5), ceil(-2.5),
           round(2.5), trunc(-2.7), fmod(7.0, 3.0));
    printf("rint(2.5)=%g nearbyint(3.5)=%g lround(-2.5)=%ld\n", rint(2.5), nearbyint(3.5), lround(-2.5));
    printf("fma(2,3,4)=%g copysign(3,-0.0)=%g fabs(-7)=%g\n", fma(2.0, 3.0, 4.0), copysign(3.0, -0.0), fabs(-7.0));
    printf("isnan=%d isinf=%d signbit(-0)=%d\n", isnan(NAN), isinf(-INFINITY), signbit(-0.0) != 0);

    double sum = 0;
    for (int i = 1; i <= 1000000; ++i)
        sum += 1.0 / ((double)i * i);
    printf("sum 1/n^2 = %.12f (pi^2/6 = %.12f)\n", sum, M_PI * M_PI / 6);
    float fsum = 0;
    for (int i = 0; i < 1000; ++i)
        fsum += 0.1f;
    printf("float sum of 0.1 x 1000 = %.7f\n", (double)fsum);
    printf("conversions: %d %d %u %lld\n", (int)-2.9, (int)2.9, (unsigned)3.99e9, (long long)-1e18);
    return 0;
}
